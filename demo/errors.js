// What the page shows of a caught value: a `catch` receives `unknown`
// (anything can be thrown), the page wants a name and a sentence.

/** @param {unknown} error @returns {string} */
export const errorMessage = (error) => (error instanceof Error ? error.message : String(error));

/** @param {unknown} error @returns {string} */
export const errorName = (error) => (error instanceof Error ? error.name : 'Error');
