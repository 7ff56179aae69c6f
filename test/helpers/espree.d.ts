/** espree (eslint's parser, installed with eslint): used by tests to prove design-document code is ES5. */
declare module 'espree' {
  export function parse(code: string, options: { ecmaVersion: number }): unknown;
}
