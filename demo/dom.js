// The page's element lookups, checked once here: an element the HTML lacks,
// or one of another kind than the code expects (a <p> where it sets `.value`),
// fails at once with the selector in the message, instead of a TypeError on
// `null` somewhere later. Each call names the type it needs, so the code
// that uses the element is typed by it, without `!` or casts.

/** An element the page needs is missing from the HTML, or is of another kind. */
export class DemoElementError extends Error {
  /** @override @readonly @type {'DemoElementError'} */
  name = 'DemoElementError';
}

/**
 * The first element matching `selector` inside `root`, which must be a `type`.
 *
 * @example
 * const textarea = $('#text', HTMLTextAreaElement);
 * textarea.value = '';
 *
 * @template {Element} T
 * @param {string} selector
 * @param {new () => T} type the element's interface, e.g. HTMLButtonElement
 * @param {ParentNode} [root] where to look; default the document
 * @returns {T}
 */
export function $(selector, type, root = document) {
  const element = root.querySelector(selector);
  if (element === null) throw new DemoElementError(`No element matches ${selector}`);
  if (!(element instanceof type)) {
    throw new DemoElementError(`${selector} is a <${element.localName}>, not the ${type.name} the page expects`);
  }
  return element;
}

/**
 * Every element matching `selector` inside `root`, each of which must be a `type`.
 *
 * @example
 * for (const button of $$('button[data-user]', HTMLButtonElement)) button.disabled = true;
 *
 * @template {Element} T
 * @param {string} selector
 * @param {new () => T} type
 * @param {ParentNode} [root]
 * @returns {T[]}
 */
export function $$(selector, type, root = document) {
  return [...root.querySelectorAll(selector)].map((element) => {
    if (element instanceof type) return element;
    throw new DemoElementError(`${selector} matched a <${element.localName}>, not the ${type.name} the page expects`);
  });
}
