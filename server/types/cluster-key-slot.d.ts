// The one function of cluster-key-slot (ioredis's own dependency) the tests use: a key's Redis Cluster slot.
declare module 'cluster-key-slot' {
  export default function calculateSlot(key: string | Buffer): number;
}
