declare module 'nspell' {
  interface NSpell {
    correct(word: string): boolean;
    suggest(word: string): string[];
    add(word: string): NSpell;
  }
  function nspell(aff: Buffer | string, dic?: Buffer | string): NSpell;
  export = nspell;
}
declare module 'en-inflectors' {
  export class Inflectors {
    constructor(word: string);
    conjugate(tag: string): string;
    toPresent(): string;
    toPast(): string;
    toPastParticiple(): string;
    toPresentS(): string;
    toGerund(): string;
    toPlural(): string;
    toSingular(): string;
  }
}
