// Multilingual rules of the first-layer prompt-injection detector.
//
// Two groups, both describing the attack *ideas* in general phrasing (a verb
// such as ignore / forget / disregard with previous / above / your + rules /
// instructions; reveal / show / repeat + system prompt / initial instructions
// / password; pretend / act as + without restrictions). No corpus string is
// quoted.
//
// 1. Latin-script languages (de, fr, es, it, pt): ordinary anchored rules
//    (same shape as rules.ts), keyed on their verb, matched on the detector's
//    normalised text (lower-case, diacritics stripped: "ignoriere die
//    vorherigen anweisungen", "oublie tes regles"). They cost nothing on
//    text without their key words. Negation is part of each regex: a negative
//    look-behind before the verb ("n'ignore pas", "no ignores", "non
//    ignorare", "nao ignore", "nicht ignorieren") and a negation word inside
//    the gap ("ignoriere nicht die …") stop the match. They carry no English
//    context checks (context.ts), which only know English cues.
//
// 2. Non-Latin scripts (ru, zh, ja, ko, ar, hi): the detector's normalised
//    text maps Cyrillic look-alikes to Latin and cannot be matched in Russian,
//    so these rules run on their own script-preserving view (NFKC, lower-case,
//    invisible characters removed, Arabic harakat/tatweel and Devanagari
//    nukta dropped, Arabic alef forms unified). Each language's rules run
//    only when the text contains that language's script (one character-class
//    test per script, after one test for any of them), so Latin text pays one
//    regex test. Negation is checked around each match: a negation right
//    before the verb (ru "не", zh "不要/别/勿…", ar "لا/لم/لن") or right after it
//    (ja "しないで/するな", ko "하지 마/않", hi "न/मत/नहीं").
//
// ReDoS: every gap is a bounded repetition of one character class between
// literal alternations, and every regex is tried left to right once per text
// ('g'); the cost is linear in the text length times the bounded gap.

import type { PatternRule } from './rules.js';

// ---------------------------------------------------------------------------
// Latin-script languages: anchored rules on the normalised text
// ---------------------------------------------------------------------------

/** Word separator inside one sentence (same as rules.ts). */
const SEP = '[^\\w.!?]+';
const alt = (...xs: readonly string[]): string => `(?:${xs.join('|')})`;
const words = (p: string): string => p.split(' ').join(SEP);
const altWords = (...xs: readonly string[]): string => alt(...xs.map(words));
/** Token boundaries matching the detector's tokeniser ([a-z0-9]+). */
const B0 = '(?<![a-z0-9])';
const B1 = '(?![a-z0-9])';

interface LatinLang {
  /** Negation words that, right before the verb (up to one clitic/pronoun between), cancel it. */
  neg: readonly string[];
}

const LANGS: Readonly<Record<'de' | 'fr' | 'es' | 'it' | 'pt', LatinLang>> = {
  de: { neg: ['nicht', 'nie', 'niemals', 'keinesfalls', 'keineswegs', 'kein', 'keine', 'nimmer'] },
  fr: { neg: ['ne', "n'", 'pas', 'jamais', 'plus', 'sans'] },
  es: { neg: ['no', 'nunca', 'jamas', 'ni', 'sin'] },
  it: { neg: ['non', 'mai', 'senza', 'ne'] },
  pt: { neg: ['nao', 'nunca', 'jamais', 'nem', 'sem'] },
};
/** English negations too: the key "ignore" is shared with English ("do not ignore your instructions"). */
const EN_NEG = ['not', 'never', 'dont', "don't", 'no'];
const ALL_NEG = [...new Set([...Object.values(LANGS).flatMap((l) => l.neg), ...EN_NEG])];
/** A negation before the key: "<neg> [one word] verb" (French "n'" has no space after it). */
const negBefore = (neg: readonly string[]): string =>
  `(?<!${B0}${alt(...[...neg, ...EN_NEG].filter((w) => !w.endsWith("'")))}${SEP}(?:[a-z]+${SEP})?)(?<!${B0}n'(?:[a-z]+${SEP})?)`;
/** Up to n words, none of them a negation ("ignoriere nicht die …"). */
const gapNoNeg = (n: number): string => `(?:${SEP}(?!${alt(...ALL_NEG.filter((w) => !w.endsWith("'")))}${B1})[a-z0-9']+){0,${n}}${SEP}`;
/** Not followed (within two words) by a negation ("ignoriere die regeln nicht"). */
const noNegAfter = `(?!(?:${SEP}[a-z0-9']+){0,2}${SEP}${alt('nicht', 'nie', 'niemals', 'pas', 'jamais')}${B1})`;

const latinRules: PatternRule[] = [];

/** An anchored rule keyed on the verbs; `body` follows the verb in the same sentence. */
function latin(id: string, family: string, weight: number, lang: keyof typeof LANGS, verbs: readonly string[], body: string): void {
  const keys = [...new Set(verbs.map((v) => v.split(' ')[0] as string))];
  latinRules.push({
    id, family, weight, view: 'text', mode: 'anchored', substrings: [], source: '', context: [],
    entries: [{ tokens: keys, source: `${negBefore(LANGS[lang].neg)}${B0}${altWords(...verbs)}${B1}${body}` }],
  });
}

/**
 * verb … object: the object is a rules/instructions noun with a qualifier
 * (previous / above / your / all) before it or right after it.
 */
function overrideBody(pre: readonly string[], nouns: readonly string[], post: readonly string[], strong: readonly [readonly string[], readonly string[]]): string {
  const noun = `${altWords(...nouns)}${B1}`;
  return alt(
    `${gapNoNeg(2)}${altWords(...pre)}${B1}${gapNoNeg(2)}${noun}`,
    // an instructions noun after this language's article is enough ("ignoriere die Anweisungen")
    `${gapNoNeg(1)}${altWords(...strong[0])}${SEP}${altWords(...strong[1])}${B1}`,
    `${gapNoNeg(3)}${noun}${SEP}(?:[a-z0-9']+${SEP}){0,2}${altWords(...post)}${B1}`,
  ) + noNegAfter;
}

// de: "ignoriere alle vorherigen Anweisungen", "vergiss deine Regeln", "missachte die obigen Vorgaben"
latin('ml-ignore-prior', 'ignore-previous', 1.0, 'de',
  ['ignoriere', 'ignorier', 'ignoriert', 'ignorieren', 'ignorierst', 'vergiss', 'vergesst', 'vergessen', 'vergisst', 'missachte', 'missachtet',
    'missachten', 'verwirf', 'verwerft', 'verwerfen', 'uberschreibe', 'uberschreib', 'uberschreiben', 'umgehe', 'umgeht', 'umgehen', 'losche', 'loscht', 'loschen'],
  overrideBody(
    ['vorherigen', 'vorherige', 'vorigen', 'bisherigen', 'bisherige', 'fruheren', 'obigen', 'obige', 'alle', 'samtliche', 'samtlichen', 'deine', 'deinen', 'ihre',
      'eure', 'ursprunglichen', 'ursprungliche', 'bestehenden', 'vorangegangenen', 'gegebenen', 'erhaltenen', 'oben genannten', 'zuvor'],
    ['anweisung', 'anweisungen', 'instruktion', 'instruktionen', 'regeln', 'regel', 'vorgaben', 'befehle', 'richtlinien', 'anordnungen', 'einschrankungen',
      'beschrankungen', 'vorschriften', 'systemanweisungen', 'systemprompt', 'prompt', 'programmierung', 'direktiven', 'auftrage'],
    ['von vorher', 'von oben', 'oben', 'zuvor', 'bisher', 'davor'],
    [['die', 'alle', 'deine', 'ihre', 'eure', 'jegliche', 'samtliche'], ['anweisungen', 'anweisung', 'instruktionen', 'systemanweisungen', 'vorgaben']],
  ));
// fr: "ignore les instructions precedentes", "oubliez toutes vos regles"
latin('ml-ignore-prior', 'ignore-previous', 1.0, 'fr',
  ['ignore', 'ignorez', 'ignorer', 'ignores', 'oublie', 'oubliez', 'oublier', 'oublies', 'neglige', 'negligez', 'negliger', 'outrepasse', 'outrepassez',
    'contourne', 'contournez', 'efface', 'effacez', 'annule', 'annulez', 'abandonne', 'abandonnez', 'ecarte', 'ecartez', 'fais abstraction de', 'faites abstraction de'],
  overrideBody(
    ['tes', 'vos', 'ton', 'votre', 'toutes', 'tous', 'precedentes', 'anterieures'],
    ['instructions', 'instruction', 'consignes', 'regles', 'directives', 'indications', 'ordres', 'commandes', 'contraintes', 'restrictions', 'limites', 'prompt',
      'programmation', 'ce qui precede', 'tout ce qui precede'],
    ['precedentes', 'precedente', 'precedents', 'anterieures', 'anterieurs', 'cidessus', 'dessus', 'initiales', 'originales', "d'origine", 'du systeme',
      'systeme', 'recues', 'donnees'],
    [['les', 'ces', 'toutes les', 'tes', 'vos'], ['instructions', 'consignes']],
  ));
// es: "ignora las instrucciones anteriores", "olvida todas tus reglas"
latin('ml-ignore-prior', 'ignore-previous', 1.0, 'es',
  ['ignora', 'ignore', 'ignoren', 'ignorar', 'ignores', 'olvida', 'olvide', 'olviden', 'olvidar', 'olvidate', 'olvidese', 'descarta', 'descarte', 'descartar',
    'omite', 'omita', 'omitir', 'desobedece', 'anula', 'anular', 'desestima', 'pasa por alto', 'haz caso omiso de'],
  overrideBody(
    ['tus', 'sus', 'vuestras', 'todas', 'todos', 'previas', 'anteriores'],
    ['instrucciones', 'reglas', 'normas', 'indicaciones', 'directrices', 'ordenes', 'restricciones', 'limitaciones', 'pautas', 'prompt', 'programacion',
      'lo anterior', 'todo lo anterior'],
    ['anteriores', 'previas', 'de arriba', 'precedentes', 'originales', 'iniciales', 'del sistema', 'dadas', 'recibidas'],
    [['las', 'estas', 'esas', 'todas las', 'tus', 'sus'], ['instrucciones']],
  ));
// it: "ignora le istruzioni precedenti", "dimentica tutte le tue regole"
latin('ml-ignore-prior', 'ignore-previous', 1.0, 'it',
  ['ignora', 'ignorare', 'ignorate', 'ignori', 'dimentica', 'dimenticare', 'dimenticate', 'dimentichi', 'trascura', 'tralascia', 'scarta', 'annulla', 'aggira'],
  overrideBody(
    ['tue', 'sue', 'vostre', 'tutte', 'tutti', 'precedenti'],
    ['istruzioni', 'regole', 'indicazioni', 'direttive', 'ordini', 'comandi', 'restrizioni', 'limitazioni', 'prompt', 'linee guida'],
    ['precedenti', 'anteriori', 'sopra', 'di sopra', 'originali', 'iniziali', 'del sistema', 'ricevute', 'date'],
    [['le', 'queste', 'tutte le', 'tue', 'le tue'], ['istruzioni']],
  ));
// pt: "ignore as instrucoes anteriores", "esqueca todas as suas regras"
latin('ml-ignore-prior', 'ignore-previous', 1.0, 'pt',
  ['ignore', 'ignora', 'ignorar', 'ignorem', 'esqueca', 'esquece', 'esquecer', 'esquecam', 'desconsidere', 'desconsidera', 'descarte', 'despreze', 'anule', 'burle'],
  overrideBody(
    ['suas', 'tuas', 'todas', 'todos', 'anteriores'],
    ['instrucoes', 'regras', 'orientacoes', 'diretrizes', 'ordens', 'comandos', 'restricoes', 'limitacoes', 'prompt'],
    ['anteriores', 'previas', 'acima', 'originais', 'iniciais', 'do sistema', 'recebidas', 'dadas'],
    [['as', 'estas', 'essas', 'todas as', 'suas', 'tuas'], ['instrucoes']],
  ));

/** reveal-verb … system-prompt noun (strong) within the sentence. */
function revealBody(nouns: readonly string[]): string {
  return `${gapNoNeg(4)}${altWords(...nouns)}${B1}`;
}
latin('ml-reveal-system', 'system-prompt-extraction', 1.0, 'de',
  ['zeige', 'zeig', 'zeigen', 'gib', 'geben', 'nenne', 'nennen', 'verrate', 'verraten', 'wiederhole', 'wiederholen', 'drucke', 'schreibe', 'schreib', 'sag', 'sage',
    'offenbare', 'enthulle', 'ausgeben', 'gib aus', 'liste', 'kopiere', 'verrat'],
  revealBody(['systemprompt', 'system prompt', 'systemanweisungen', 'systemanweisung', 'systemnachricht', 'anfanglichen anweisungen', 'ursprunglichen anweisungen',
    'ersten anweisungen', 'deine anweisungen', 'ihre anweisungen', 'deine instruktionen', 'deine regeln', 'passwort', 'kennwort', 'geheimen schlussel',
    'text oben', 'text daruber', 'obigen text', 'versteckten anweisungen', 'geheimen anweisungen', 'prompt']));
latin('ml-reveal-system', 'system-prompt-extraction', 1.0, 'fr',
  ['montre', 'montrez', 'affiche', 'affichez', 'donne', 'donnez', 'revele', 'revelez', 'repete', 'repetez', 'ecris', 'ecrivez', 'dis', 'dites',
    'imprime', 'imprimez', 'divulgue', 'divulguez', 'recite', 'recitez', 'copie', 'copiez', 'liste'],
  revealBody(['prompt systeme', 'prompt du systeme', 'invite systeme', 'message systeme', 'message du systeme', 'instructions initiales', 'instructions systeme',
    "instructions d'origine", 'instructions originales', 'tes instructions', 'vos instructions', 'tes consignes', 'vos consignes', 'tes regles', 'mot de passe',
    'texte cidessus', 'texte precedent', 'instructions cachees', 'instructions secretes', 'prompt']));
latin('ml-reveal-system', 'system-prompt-extraction', 1.0, 'es',
  ['muestra', 'muestrame', 'muestre', 'dime', 'diga', 'revela', 'revele', 'repite', 'repita', 'imprime', 'imprima', 'escribe', 'escriba', 'dame', 'deme',
    'divulga', 'ensename', 'copia', 'lista', 'enumera', 'comparte'],
  revealBody(['prompt del sistema', 'prompt de sistema', 'mensaje del sistema', 'mensaje de sistema', 'instrucciones iniciales', 'instrucciones del sistema',
    'instrucciones originales', 'tus instrucciones', 'sus instrucciones', 'tus reglas', 'contrasena', 'clave secreta', 'texto anterior', 'texto de arriba',
    'instrucciones ocultas', 'instrucciones secretas', 'prompt']));
latin('ml-reveal-system', 'system-prompt-extraction', 1.0, 'it',
  ['mostra', 'mostrami', 'mostrate', 'dimmi', 'dica', 'rivela', 'rivelami', 'ripeti', 'ripetimi', 'stampa', 'scrivi', 'scrivimi', 'dammi', 'elenca', 'copia', 'condividi'],
  revealBody(['prompt di sistema', 'prompt del sistema', 'messaggio di sistema', 'messaggio del sistema', 'istruzioni iniziali', 'istruzioni di sistema',
    'istruzioni originali', 'tue istruzioni', 'sue istruzioni', 'tue regole', 'password', 'testo sopra', 'testo precedente', 'istruzioni nascoste',
    'istruzioni segrete', 'prompt']));
latin('ml-reveal-system', 'system-prompt-extraction', 1.0, 'pt',
  ['mostre', 'mostra', 'mostreme', 'diga', 'digame', 'revele', 'revela', 'repita', 'repete', 'imprima', 'escreva', 'escreve', 'divulgue', 'liste',
    'copie', 'compartilhe'],
  revealBody(['prompt do sistema', 'prompt de sistema', 'mensagem do sistema', 'mensagem de sistema', 'instrucoes iniciais', 'instrucoes do sistema',
    'instrucoes originais', 'suas instrucoes', 'tuas instrucoes', 'suas regras', 'senha', 'texto acima', 'texto anterior', 'instrucoes ocultas',
    'instrucoes secretas', 'prompt']));

/** role-play cue … "without restrictions / uncensored" in the same sentence. */
function unrestrictedBody(free: readonly string[]): string {
  return `(?:${SEP}[a-z0-9']+){0,12}${SEP}${altWords(...free)}${B1}`;
}
latin('ml-roleplay-unrestricted', 'unrestricted-mode', 1.0, 'de',
  ['du bist', 'agiere als', 'tu so', 'tue so', 'verhalte dich', 'spiele die rolle', 'spiel die rolle', 'stell dir vor', 'ab jetzt', 'von nun an', 'ab sofort', 'antworte als'],
  unrestrictedBody(['ohne einschrankungen', 'ohne jegliche einschrankungen', 'ohne regeln', 'ohne zensur', 'ohne filter', 'ohne grenzen', 'ohne beschrankungen',
    'ohne moral', 'uneingeschrankt', 'uneingeschrankte', 'uneingeschrankter', 'unzensiert', 'unzensierte', 'unzensierter', 'keine regeln', 'keine einschrankungen',
    'keine grenzen', 'keinerlei einschrankungen']));
latin('ml-roleplay-unrestricted', 'unrestricted-mode', 1.0, 'fr',
  ['tu es', 'sois', 'agis comme', 'fais semblant', 'joue le role', 'comporte toi', 'imagine que', 'partir de maintenant', 'desormais', 'reponds comme'],
  unrestrictedBody(['sans restriction', 'sans restrictions', 'sans aucune restriction', 'sans limites', 'sans limite', 'sans filtre', 'sans filtres', 'sans censure',
    'sans regles', 'sans aucune regle', 'sans contraintes', 'sans morale', 'non censure', 'non censuree', 'aucune restriction', 'aucune limite', 'aucune regle']));
latin('ml-roleplay-unrestricted', 'unrestricted-mode', 1.0, 'es',
  ['eres', 'actua como', 'finge', 'haz como', 'interpreta', 'comportate', 'imagina que', 'partir de ahora', 'desde ahora', 'responde como'],
  unrestrictedBody(['sin restricciones', 'sin ninguna restriccion', 'sin limites', 'sin filtros', 'sin censura', 'sin reglas', 'sin limitaciones', 'sin moral',
    'ninguna restriccion', 'ningun limite', 'ninguna regla', 'no tienes restricciones', 'no tienes limites', 'no tienes reglas']));
latin('ml-roleplay-unrestricted', 'unrestricted-mode', 1.0, 'it',
  ['sei', 'agisci come', 'fingi', 'comportati', 'interpreta', 'immagina che', 'ora in poi', 'rispondi come'],
  unrestrictedBody(['senza restrizioni', 'senza alcuna restrizione', 'senza limiti', 'senza filtri', 'senza censura', 'senza regole', 'senza morale',
    'nessuna restrizione', 'nessun limite', 'nessuna regola', 'non hai restrizioni', 'non hai limiti', 'non hai regole']));
latin('ml-roleplay-unrestricted', 'unrestricted-mode', 1.0, 'pt',
  ['voce e', 'seja', 'aja como', 'finja', 'comportese', 'interprete', 'imagine que', 'partir de agora', 'agora em diante', 'responda como'],
  unrestrictedBody(['sem restricoes', 'sem nenhuma restricao', 'sem limites', 'sem filtros', 'sem censura', 'sem regras', 'sem moral', 'nenhuma restricao',
    'nenhum limite', 'nenhuma regra', 'nao tem restricoes', 'nao tem limites', 'nao tem regras']));

/** "forget everything (said) before": verb, "everything", up to five words, a "before/above" word. */
function everythingBody(all: readonly string[], before: readonly string[]): string {
  return `${gapNoNeg(1)}${altWords(...all)}${B1}(?:${SEP}[a-z0-9']+){0,5}${SEP}${altWords(...before)}${B1}${noNegAfter}`;
}
latin('ml-ignore-everything', 'ignore-previous', 1.0, 'de', ['ignoriere', 'ignorieren', 'vergiss', 'vergesst', 'vergessen', 'missachte', 'verwirf'],
  everythingBody(['alles', 'das alles', 'alle'], ['davor', 'zuvor', 'vorher', 'bisher', 'bisherige', 'oben', 'obige', 'gesagte', 'gesagt', 'vorherige', 'vorangegangene']));
latin('ml-ignore-everything', 'ignore-previous', 1.0, 'fr', ['ignore', 'ignorez', 'oublie', 'oubliez', 'oublier'],
  everythingBody(['tout', 'tout ce'], ['precede', 'cidessus', 'avant', 'dit', 'precedemment', 'auparavant']));
latin('ml-ignore-everything', 'ignore-previous', 1.0, 'es', ['ignora', 'ignore', 'olvida', 'olvide', 'olvidate', 'olvidar'],
  everythingBody(['todo', 'todo lo'], ['anterior', 'antes', 'dije', 'dijeron', 'dicho', 'arriba', 'previo']));
latin('ml-ignore-everything', 'ignore-previous', 1.0, 'it', ['ignora', 'ignorare', 'dimentica', 'dimenticare'],
  everythingBody(['tutto', 'tutto quello', 'tutto cio'], ['prima', 'precede', 'detto', 'sopra', 'precedente']));
latin('ml-ignore-everything', 'ignore-previous', 1.0, 'pt', ['ignore', 'ignora', 'esqueca', 'esquece', 'esquecer'],
  everythingBody(['tudo', 'tudo o', 'tudo que'], ['antes', 'acima', 'disse', 'dito', 'anterior', 'anteriormente']));

/** "what are your instructions / what is your system prompt": question word, then a possessive + secret noun. */
function askBody(poss: readonly string[], nouns: readonly string[]): string {
  return `${gapNoNeg(2)}${altWords(...poss)}${SEP}(?:[a-z]+${SEP})?${altWords(...nouns)}${B1}`;
}
latin('ml-ask-system', 'system-prompt-extraction', 1.0, 'de', ['wie', 'welche', 'welches'],
  askBody(['dein', 'deine', 'deinen', 'ihr', 'ihre'], ['anweisungen', 'instruktionen', 'systemprompt', 'systemanweisungen', 'prompt', 'passwort', 'kennwort', 'ersten anweisungen']));
latin('ml-ask-system', 'system-prompt-extraction', 1.0, 'fr', ['quelles', 'quel', 'quelle', 'quels'],
  askBody(['tes', 'vos', 'ton', 'votre', 'ta'], ['instructions', 'consignes', 'prompt', 'mot de passe', 'instructions initiales']));
latin('ml-ask-system', 'system-prompt-extraction', 1.0, 'es', ['cuales', 'cual', 'que'],
  askBody(['tus', 'sus', 'tu', 'su'], ['instrucciones', 'prompt', 'contrasena', 'instrucciones iniciales']));
latin('ml-ask-system', 'system-prompt-extraction', 1.0, 'it', ['quali', 'qual', 'quale', 'cosa'],
  askBody(['tue', 'le tue', 'il tuo', 'tuo', 'sue'], ['istruzioni', 'prompt', 'password', 'istruzioni iniziali']));
latin('ml-ask-system', 'system-prompt-extraction', 1.0, 'pt', ['quais', 'qual', 'que'],
  askBody(['suas', 'tuas', 'seu', 'teu', 'as suas', 'o seu'], ['instrucoes', 'prompt', 'senha', 'instrucoes iniciais']));

export const LATIN_MULTILINGUAL_RULES: readonly PatternRule[] = latinRules;

// ---------------------------------------------------------------------------
// Non-Latin scripts: script-gated rules on a script-preserving view
// ---------------------------------------------------------------------------

export interface ScriptRule {
  readonly id: string;
  readonly family: string;
  readonly weight: number;
  readonly re: RegExp;
  /** True when the match at [start, end) of `view` is negated. */
  readonly negated: (view: string, start: number, end: number) => boolean;
}

interface ScriptLang {
  readonly lang: string;
  readonly script: RegExp;
  readonly rules: readonly ScriptRule[];
}

const g = (...parts: readonly string[]): RegExp => new RegExp(parts.join(''), 'g');
/** Characters up to a clause end, bounded. */
const within = (stop: string, n: number): string => `[^${stop}\\n]{0,${n}}?`;
const endsWith = (re: RegExp) => (view: string, start: number): boolean => re.test(view.slice(Math.max(0, start - 12), start));
const startsWith = (re: RegExp) => (view: string, _start: number, end: number): boolean => re.test(view.slice(end, end + 12));
const never = (): boolean => false;

// ru -------------------------------------------------------------------------
const RU_STOP = '.!?;';
const RU_W = '[а-яё]*';
const RU_NEG = /(?:^|[^а-яё])(?:не|ни|нельзя|никогда не|никогда)\s(?:[а-яё]+\s)?$/;
const RU_IGNORE = alt(`(?:про)?игнорир${RU_W}`, 'забудь(?:те)?', 'забыть', 'забудем', 'отбрось(?:те)?', 'отбросить', 'отмени(?:те)?', 'отменить',
  `не обращай(?:те)? внимани[яе]`, 'пренебреги', 'пренебрегите', 'сбрось(?:те)?', 'обойди(?:те)?', 'не следуй(?:те)?', 'не подчиняйся', 'перестань следовать');
const RU_QUAL = alt(`предыдущ${RU_W}`, `прежн${RU_W}`, `предшествующ${RU_W}`, `вышеуказанн${RU_W}`, `вышеизложенн${RU_W}`, 'выше', 'ранее', 'все', 'всё', 'свои',
  'твои', 'ваши', `изначальн${RU_W}`, `исходн${RU_W}`, `полученн${RU_W}`, `системн${RU_W}`, `данн${RU_W}`, `прошл${RU_W}`, `старые`);
const RU_RULES = alt(`инструкци${RU_W}`, `указани${RU_W}`, `правил${RU_W}`, `команд${RU_W}`, `директив${RU_W}`, `установк${RU_W}`, `ограничени${RU_W}`,
  `промпт${RU_W}`, `подсказк${RU_W}`, `настро[ейк]${RU_W}`, `запрет${RU_W}`, 'сказанное', 'написанное');
const RU_REVEAL = alt('покажи(?:те)?', 'выведи(?:те)?', 'напиши(?:те)?', 'повтори(?:те)?', 'раскрой(?:те)?', 'скажи(?:те)?', 'сообщи(?:те)?', 'перечисли(?:те)?',
  'дай(?:те)?', 'распечатай(?:те)?', 'процитируй(?:те)?', 'озвучь(?:те)?', 'раскрыть', 'показать', 'вывести', 'повторить', 'напечатай(?:те)?', 'открой(?:те)?');
const RU_SECRET = alt(`системн${RU_W} (?:промпт|подсказк|инструкци|сообщени|настройк|запрос)${RU_W}`,
  `(?:свои|твои|ваши|свой|твой|ваш|исходн${RU_W}|изначальн${RU_W}|начальн${RU_W}|первоначальн${RU_W}|скрыт${RU_W}|секретн${RU_W}) (?:инструкци|промпт|указани|правил|подсказк)${RU_W}`,
  'пароль', 'текст выше', 'вс[её],? что (?:написано )?выше', `предыдущ${RU_W} текст`);
const RU_ROLE = alt('притворись', 'притворитесь', 'представь,? что ты', 'представьте,? что вы', 'веди себя как', 'ведите себя как', 'действуй как', 'играй роль',
  'сыграй роль', 'ты теперь', 'теперь ты', 'отныне ты', 'с этого момента ты', 'ты будешь', 'вы теперь', 'теперь вы', 'отвечай как');
const RU_FREE = alt(`без (?:каких-либо |всяких |любых |каких-то )?(?:ограничений|правил|цензуры|фильтров|запретов|морали)`, `неограниченн${RU_W}`,
  `нецензурн${RU_W}`, `не (?:имеешь|знаешь|соблюдаешь|связан${RU_W})[а-яё ]{0,20}(?:ограничени|правил|запрет)`, 'dan', 'джейлбрейк');
const RU: ScriptLang = {
  lang: 'ru',
  script: /[\u0400-\u04FF]/,
  rules: [
    { id: 'ml-ru-ignore', family: 'ignore-previous', weight: 1.0, re: g(RU_IGNORE, within(RU_STOP, 30), RU_QUAL, within(RU_STOP, 30), RU_RULES), negated: endsWith(RU_NEG) },
    { id: 'ml-ru-void', family: 'ignore-previous', weight: 1.0, re: g(RU_QUAL, ' ', within(RU_STOP, 20), RU_RULES, within(RU_STOP, 20), `(?:недействительн${RU_W}|отмен(?:ены|яются)|больше не действу${RU_W}|аннулирован${RU_W})`), negated: never },
    { id: 'ml-ru-reveal', family: 'system-prompt-extraction', weight: 1.0, re: g(RU_REVEAL, within(RU_STOP, 40), RU_SECRET), negated: endsWith(RU_NEG) },
    { id: 'ml-ru-ask', family: 'system-prompt-extraction', weight: 1.0, re: g(alt('какие', 'какой', 'каков', 'каковы', 'что'), ' (?:у (?:тебя|вас) )?', alt('твои', 'ваши', 'твой', 'ваш', 'тебе', 'вам'), ' ', within(RU_STOP, 20), alt(`инструкци${RU_W}`, `системн${RU_W} промпт${RU_W}`, `промпт${RU_W}`, 'пароль', `указани${RU_W}`, `(?:сказали|велели|приказали)`)), negated: never },
    { id: 'ml-ru-role', family: 'unrestricted-mode', weight: 1.0, re: g(RU_ROLE, within(RU_STOP, 80), RU_FREE), negated: never },
  ],
};

// zh (simplified and traditional) ---------------------------------------------
const ZH_STOP = '。！？!?；;';
const ZH_NEG = /(?:不要|不能|不可以?|不得|不会|不會|不准|别|別|勿|切勿|请勿|請勿|绝不|絕不|决不|決不|永远不要|永遠不要|禁止|千万别|千萬別|不)(?:去|再|要)?$/;
const ZH_IGNORE = alt('忽略', '忽視', '忽视', '無視', '无视', '忘記', '忘记', '忘掉', '拋開', '抛开', '拋棄', '抛弃', '放棄', '放弃', '不要理會', '不要理会', '不用理會',
  '不用理会', '別管', '别管', '跳過', '跳过', '覆蓋', '覆盖', '推翻', '無需遵守', '无需遵守', '不要遵守', '不要遵循', '不再遵守', '不再遵循', '停止遵循', '停止遵守', '不必遵守', '违背', '違背', '绕过', '繞過');
const ZH_QUAL = alt('之前', '以前', '先前', '此前', '前面', '上面', '上述', '以上', '原先', '原來', '原来', '原有', '所有', '全部', '一切', '你的', '您的', '初始', '系統', '系统',
  '最初', '早先', '剛才', '刚才', '任何', '现有', '現有');
const ZH_RULES = alt('指令', '指示', '說明', '说明', '規則', '规则', '提示', '命令', '要求', '設定', '设定', '設置', '设置', '約束', '约束', '限制', '規定', '规定', '指導', '指导',
  '准則', '准则', '守則', '守则', '內容', '内容', '訊息', '信息', '消息', 'prompt');
const ZH_REVEAL = alt('輸出', '输出', '顯示', '显示', '告訴我', '告诉我', '打印', '重複', '重复', '洩露', '泄露', '透露', '說出', '说出', '給出', '给出', '列出', '展示',
  '複述', '复述', '背誦', '背诵', '寫出', '写出', '公開', '公开', '發給我', '发给我', '提供', '分享', '打出', '念出');
const ZH_SECRET = alt('系統提示', '系统提示', '系統指令', '系统指令', '系統訊息', '系统消息', '系统信息', '系統設定', '系统设定', '初始指令', '初始提示', '原始指令', '原始提示',
  '你的指令', '你的提示', '您的指令', '提示詞', '提示词', '密碼', '密码', '口令', '上面的內容', '上面的内容', '以上內容', '以上内容', '之前的內容', '之前的内容', '前面的內容',
  '前面的内容', '隱藏指令', '隐藏指令', '隱藏的指令', '隐藏的指令', 'system prompt');
const ZH_ROLE = alt('假裝', '假装', '扮演', '假設你是', '假设你是', '現在你是', '现在你是', '從現在開始', '从现在开始', '你將', '你将', '你是一個', '你是一个', '充當', '充当',
  '模擬', '模拟', '你現在', '你现在');
const ZH_FREE = alt('沒有任何限制', '没有任何限制', '沒有限制', '没有限制', '不受限制', '無限制', '无限制', '不受約束', '不受约束', '沒有道德', '没有道德', '不受任何',
  '無審查', '无审查', '沒有審查', '没有审查', '不受審查', '不受审查', '沒有過濾', '没有过滤', '越獄', '越狱', '開發者模式', '开发者模式', '不遵守任何', 'dan');
const ZH: ScriptLang = {
  lang: 'zh',
  script: /[\u3400-\u9FFF]/,
  rules: [
    { id: 'ml-zh-ignore', family: 'ignore-previous', weight: 1.0, re: g(ZH_IGNORE, within(ZH_STOP, 12), ZH_QUAL, within(ZH_STOP, 10), ZH_RULES), negated: endsWith(ZH_NEG) },
    { id: 'ml-zh-void', family: 'ignore-previous', weight: 1.0, re: g(ZH_QUAL, within(ZH_STOP, 8), ZH_RULES, within(ZH_STOP, 6), alt('作廢', '作废', '無效', '无效', '不再有效', '失效', '不再适用', '不再適用')), negated: never },
    { id: 'ml-zh-reveal', family: 'system-prompt-extraction', weight: 1.0, re: g(ZH_REVEAL, within(ZH_STOP, 10), ZH_SECRET), negated: endsWith(ZH_NEG) },
    { id: 'ml-zh-ask', family: 'system-prompt-extraction', weight: 1.0, re: g(alt('你的', '您的'), alt('系統提示', '系统提示', '系統指令', '系统指令', '初始指令', '提示詞', '提示词', '原始指令'), '(?:詞|词)?', alt('是什么', '是什麼', '是啥', '有哪些')), negated: never },
    { id: 'ml-zh-role', family: 'unrestricted-mode', weight: 1.0, re: g(ZH_ROLE, within(ZH_STOP, 40), ZH_FREE), negated: never },
  ],
};

// ja ---------------------------------------------------------------------------
const JA_STOP = '。！？!?';
/** After the verb: negative or prohibitive forms ("無視しないで", "忘れるな", "無視してはいけない"). */
const JA_NEG_AFTER = /^(?:し|す)?(?:ないで|ない|なく|ず|るな|ては(?:いけ|なら|だめ)|ちゃ(?:だめ|いけ))/;
const JA_QUAL = alt('以前', '前の', '前述', '上記', '上の', 'これまで', '今まで', '先ほど', '先程', '最初', '元の', 'すべて', '全て', '全部', 'あなたの', 'システム', '初期', '以上の');
const JA_RULES = alt('指示', '命令', 'ルール', '指令', '設定', '制約', '制限', 'プロンプト', '規則', 'ガイドライン', '説明', '内容', '指図');
const JA_SECRET = alt('システムプロンプト', 'システムメッセージ', 'システム指示', '初期の?(?:指示|プロンプト|設定)', '元の(?:指示|プロンプト)', 'あなたの(?:指示|プロンプト|設定|ルール)',
  'パスワード', '上記の(?:内容|テキスト|文章|指示)', '隠された指示', '秘密の指示');
const JA_ROLE = alt('ふりをし', 'フリをし', 'なりきっ', '演じ', 'として振る舞', 'として行動', 'ロールプレイ', 'あなたは今', '今からあなたは', 'これからあなたは');
const JA_FREE = alt('制限のない', '制限なし', '制限がない', '制約のない', '制約がない', '検閲のない', '検閲なし', '何でもでき', 'ルールに縛られ', '倫理的な制約', '脱獄', '開発者モード', 'dan');
const JA: ScriptLang = {
  lang: 'ja',
  script: /[\u3040-\u30FF]/,
  rules: [
    { id: 'ml-ja-ignore', family: 'ignore-previous', weight: 1.0, re: g(JA_QUAL, within(JA_STOP, 12), JA_RULES, within(JA_STOP, 8), alt('無視', '忘れ', '破棄', '取り消', '捨て', 'リセット', '従わなくてい', '従う必要はありません', '従う必要はない')), negated: startsWith(JA_NEG_AFTER) },
    { id: 'ml-ja-reveal', family: 'system-prompt-extraction', weight: 1.0, re: g(JA_SECRET, within(JA_STOP, 10), alt('表示', '出力', '教え', '見せ', '繰り返', '書き出', '開示', '漏ら', '言っ', '答え', '印刷', '共有', '暴露')), negated: startsWith(/^(?:し|す|て|って)?(?:ないで|ない|るな|ず|ては(?:いけ|なら))/) },
    { id: 'ml-ja-ask', family: 'system-prompt-extraction', weight: 1.0, re: g(alt('あなたの(?:指示|プロンプト|ルール|パスワード|設定)', 'システムプロンプト', '初期(?:の)?指示'), within(JA_STOP, 4), alt('は何', 'はなん', 'を教え', 'って何', 'は?どんな')), negated: never },
    { id: 'ml-ja-role', family: 'unrestricted-mode', weight: 1.0, re: g(alt(`${JA_ROLE}${within(JA_STOP, 40)}${JA_FREE}`, `${JA_FREE}${within(JA_STOP, 40)}${JA_ROLE}`)), negated: never },
  ],
};

// ko ---------------------------------------------------------------------------
const KO_STOP = '.!?。';
const KO_NEG_AFTER = /^(?:하)?(?:지 ?(?:마|말|않)|면 ?안)/;
const KO_QUAL = alt('이전', '앞의', '앞선', '위의', '위에', '기존', '모든', '지금까지', '원래', '처음', '당신의', '너의', '네', '시스템', '초기', '앞에서');
const KO_RULES = alt('지시', '지침', '명령', '규칙', '설정', '프롬프트', '안내', '지령', '제약', '제한', '가이드라인', '내용', '사항');
const KO_SECRET = alt('시스템 ?프롬프트', '시스템 ?메시지', '시스템 ?지시', '초기 ?지시', '초기 ?프롬프트', '원래 ?지시', '당신의 ?(?:지시|지침|프롬프트|규칙)',
  '너의 ?(?:지시|지침|프롬프트|규칙)', '비밀번호', '암호', '위의 ?(?:내용|텍스트|글)', '숨겨진 ?지시');
const KO_ROLE = alt('척', '역할', '연기', '처럼 행동', '로서 행동', '이제부터 ?(?:너는|당신은)', '지금부터 ?(?:너는|당신은)');
const KO_FREE = alt('제한 ?없는', '제한이 ?없는', '제약 ?없는', '제약이 ?없는', '검열 ?없는', '검열되지 ?않은', '무엇이든 ?할 ?수', '규칙이 ?없는', '탈옥', '개발자 ?모드', 'dan');
const KO: ScriptLang = {
  lang: 'ko',
  script: /[\uAC00-\uD7AF]/,
  rules: [
    { id: 'ml-ko-ignore', family: 'ignore-previous', weight: 1.0, re: g(KO_QUAL, within(KO_STOP, 15), KO_RULES, within(KO_STOP, 10), alt('무시', '잊어', '잊고', '잊으', '버려', '버리', '취소', '폐기', '무효', '따르지 ?마', '따르지 ?말')), negated: startsWith(KO_NEG_AFTER) },
    { id: 'ml-ko-reveal', family: 'system-prompt-extraction', weight: 1.0, re: g(KO_SECRET, within(KO_STOP, 15), alt('보여', '출력', '알려', '말해', '반복', '공개', '누설', '적어', '써', '인쇄', '공유')), negated: startsWith(/^[가-힣]{0,3}?(?:지 ?(?:마|말|않)|면 ?안)/) },
    { id: 'ml-ko-ask', family: 'system-prompt-extraction', weight: 1.0, re: g(alt('(?:너의|당신의|네) ?(?:지시|지침|프롬프트|규칙|비밀번호)', '시스템 ?프롬프트'), within(KO_STOP, 6), alt('뭐', '무엇', '무슨')), negated: never },
    { id: 'ml-ko-role', family: 'unrestricted-mode', weight: 1.0, re: g(alt(`${KO_ROLE}${within(KO_STOP, 40)}${KO_FREE}`, `${KO_FREE}${within(KO_STOP, 40)}${KO_ROLE}`)), negated: never },
  ],
};

// ar -----------------------------------------------------------------------------
const AR_STOP = '.!?؟';
/** Start of an Arabic word (optionally after the conjunctions و / ف). */
const AR_B = '(?<![\\u0621-\\u064A])[وف]?';
const AR_NEG = /(?:^|[^\u0621-\u064A])(?:لا|لم|لن|عدم|ممنوع|يجب الا|يجب ألا)\s$/;
const AR_IGNORE = alt('تجاهل', 'تجاهلي', 'تجاهلوا', 'انس', 'انسى', 'انسي', 'انسوا', 'تناس', 'اترك', 'تخل عن', 'تخلى عن', 'الغ', 'الغي', 'اهمل', 'اهملي', 'لا تلتزم ب', 'لا تتبع',
  'توقف عن اتباع', 'تخط', 'تجاوز');
const AR_RULES = alt('التعليمات', 'الاوامر', 'القواعد', 'الارشادات', 'التوجيهات', 'القيود', 'تعليمات', 'اوامر', 'قواعد', 'ارشادات', 'توجيهات');
const AR_QUAL_AFTER = alt('السابقه', 'السابقة', 'السابق', 'الاصليه', 'الاصلية', 'اعلاه', 'الماضيه', 'الماضية', 'الاوليه', 'الاولية', 'المعطاه', 'المعطاة', 'النظام');
const AR_OWN = alt('تعليماتك', 'اوامرك', 'قواعدك', 'ارشاداتك', 'توجيهاتك', 'قيودك', 'ما سبق', 'كل ما سبق', 'ما ورد اعلاه', 'جميع التعليمات', 'كل التعليمات');
const AR_REVEAL = alt('اعرض', 'اكشف', 'اظهر', 'اطبع', 'كرر', 'اخبرني', 'اكتب', 'قل لي', 'ارسل', 'شارك', 'اعطني', 'اذكر');
const AR_SECRET = alt('تعليمات النظام', 'موجه النظام', 'رساله النظام', 'رسالة النظام', 'تعليماتك', 'التعليمات الاوليه', 'التعليمات الاولية', 'التعليمات الاصليه',
  'التعليمات الاصلية', 'كلمه المرور', 'كلمة المرور', 'كلمه السر', 'كلمة السر', 'النص اعلاه', 'النص السابق', 'الموجه الاصلي', 'التعليمات المخفيه', 'التعليمات المخفية');
const AR_ROLE = alt('تظاهر', 'تخيل انك', 'تصرف ك', 'تقمص', 'العب دور', 'انت الان', 'من الان فصاعدا', 'من الان');
const AR_FREE = alt('بدون قيود', 'بلا قيود', 'دون قيود', 'غير مقيد', 'لا تخضع', 'بدون رقابه', 'بدون رقابة', 'بلا رقابه', 'بلا رقابة', 'بدون اي قيود', 'دون اي قيود', 'بلا حدود',
  'بدون حدود', 'dan');
const AR: ScriptLang = {
  lang: 'ar',
  script: /[\u0600-\u06FF]/,
  rules: [
    { id: 'ml-ar-ignore', family: 'ignore-previous', weight: 1.0, re: g(AR_B, AR_IGNORE, within(AR_STOP, 30), alt(`${AR_RULES}${within(AR_STOP, 20)}${AR_QUAL_AFTER}`, AR_OWN)), negated: endsWith(AR_NEG) },
    { id: 'ml-ar-reveal', family: 'system-prompt-extraction', weight: 1.0, re: g(AR_B, AR_REVEAL, within(AR_STOP, 30), AR_SECRET), negated: endsWith(AR_NEG) },
    { id: 'ml-ar-ask', family: 'system-prompt-extraction', weight: 1.0, re: g(AR_B, alt('ما', 'ماذا'), ' (?:هي |هو |كانت )?', alt('تعليماتك', 'اوامرك', 'موجه النظام', 'تعليمات النظام', 'كلمه المرور', 'كلمة المرور', 'كلمه السر', 'كلمة السر', 'التعليمات الاوليه', 'التعليمات الاولية')), negated: never },
    { id: 'ml-ar-role', family: 'unrestricted-mode', weight: 1.0, re: g(AR_B, AR_ROLE, within(AR_STOP, 60), AR_FREE), negated: never },
  ],
};

// hi -----------------------------------------------------------------------------
const HI_STOP = '।.!?';
const HI_NEG_AFTER = /^[\u0900-\u097F]*\s?(?:[\u0900-\u097F]+\s)?(?:न|मत|नहीं)(?![\u0900-\u097F])/;
const HI_NEG_BEFORE = /(?:^|\s)(?:न|मत|नहीं|कभी न|कभी मत)\s$/;
const HI_QUAL = alt('पिछल[ेीा]', 'पहले के', 'पहले दिए', 'ऊपर के', 'ऊपर दिए', 'ऊपर लिखे', 'सभी', 'सारे', 'पूर्व', 'अपने', 'आपके', 'तुम्हारे', 'मूल', 'प्रारंभिक', 'सिस्टम');
const HI_RULES = alt('निर्देश', 'आदेश', 'नियम', 'हिदायत', 'दिशानिर्देश', 'प्रतिबंध', 'बातों');
const HI_VERB = alt('अनदेखा', 'नजरअंदाज', 'भूल', 'उपेक्षा', 'दरकिनार', 'रद्द', 'छोड', 'अवहेलना');
const HI_SECRET = alt('सिस्टम प्रॉम्प्ट', 'सिस्टम प्रोम्प्ट', 'सिस्टम संदेश', 'सिस्टम निर्देश', 'प्रारंभिक निर्देश', 'मूल निर्देश', 'अपने निर्देश', 'आपके निर्देश', 'तुम्हारे निर्देश',
  'पासवर्ड', 'ऊपर का (?:पाठ|टेक्स्ट)', 'गुप्त निर्देश', 'छिपे (?:हुए )?निर्देश');
const HI_ROLE = alt('होने का नाटक', 'का नाटक करो', 'की भूमिका', 'बनकर', 'के रूप में कार्य', 'अब से तुम', 'अब से आप', 'अब तुम', 'अब आप');
const HI_FREE = alt('बिना किसी (?:प्रतिबंध|सीमा|रोक|नियम|सेंसर)', 'कोई (?:प्रतिबंध|सीमा|नियम|रोक) नहीं', 'अप्रतिबंधित', 'dan');
const HI: ScriptLang = {
  lang: 'hi',
  script: /[\u0900-\u097F]/,
  rules: [
    { id: 'ml-hi-ignore', family: 'ignore-previous', weight: 1.0, re: g(alt(`${HI_QUAL}${within(HI_STOP, 30)}${HI_RULES}${within(HI_STOP, 15)}`, `${HI_RULES}(?:ों|ो)? को `), HI_VERB), negated: (v, s, e) => startsWith(HI_NEG_AFTER)(v, s, e) || HI_NEG_BEFORE.test(v.slice(Math.max(0, e - 40), e).replace(/[\u0900-\u097F]+$/, '')) },
    { id: 'ml-hi-reveal', family: 'system-prompt-extraction', weight: 1.0, re: g(HI_SECRET, within(HI_STOP, 20), alt('दिखा', 'बता', 'प्रिंट', 'दोहरा', 'लिख', 'प्रकट', 'साझा', 'खुलासा')), negated: startsWith(HI_NEG_AFTER) },
    { id: 'ml-hi-ask', family: 'system-prompt-extraction', weight: 1.0, re: g(alt('आपके निर्देश', 'तुम्हारे निर्देश', 'आपका सिस्टम प्रॉम्प्ट', 'तुम्हारा सिस्टम प्रॉम्प्ट', 'सिस्टम प्रॉम्प्ट', 'पासवर्ड', 'आपके नियम', 'तुम्हारे नियम'), within(HI_STOP, 8), alt('क्या है', 'क्या हैं', 'क्या थे', 'क्या था')), negated: never },
    { id: 'ml-hi-role', family: 'unrestricted-mode', weight: 1.0, re: g(HI_ROLE, within(HI_STOP, 60), HI_FREE), negated: never },
  ],
};

const SCRIPT_LANGS: readonly ScriptLang[] = [RU, ZH, JA, KO, AR, HI];
/** Any of the scripts above (one test for Latin-only text). */
const ANY_SCRIPT = /[\u0400-\u04FF\u0600-\u06FF\u0900-\u097F\u3040-\u30FF\u3400-\u9FFF\uAC00-\uD7AF]/;

const INVISIBLE =
  /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]/gu;
/** Arabic harakat, superscript alef and tatweel; Devanagari nukta. */
const DROPPED_MARKS = /[\u064B-\u065F\u0670\u0640\u093C]/g;
const ALEF_FORMS = /[أإآٱ]/g;

/** Script-preserving view: NFKC, lower-case, invisible characters and diacritic marks dropped, spaces collapsed. */
export function scriptView(text: string): string {
  return text.replace(INVISIBLE, '').normalize('NFKC').toLowerCase().replace(DROPPED_MARKS, '').replace(ALEF_FORMS, 'ا').replace(/\s+/g, ' ');
}

export interface ScriptHit {
  readonly id: string;
  readonly family: string;
  readonly weight: number;
}

/**
 * Matches of the non-Latin rules in `text`: at most one hit per rule id (its
 * first non-negated match). Latin-only text returns after one regex test.
 */
export function scanScripts(text: string): ScriptHit[] {
  if (!ANY_SCRIPT.test(text)) return [];
  const hits: ScriptHit[] = [];
  let view: string | undefined;
  for (const lang of SCRIPT_LANGS) {
    if (!lang.script.test(text)) continue;
    view ??= scriptView(text);
    for (const r of lang.rules) {
      r.re.lastIndex = 0;
      for (let m = r.re.exec(view); m; m = r.re.exec(view)) {
        if (!r.negated(view, m.index, m.index + m[0].length)) {
          hits.push({ id: r.id, family: r.family, weight: r.weight });
          break;
        }
        if (m[0].length === 0) r.re.lastIndex++;
      }
    }
  }
  return hits;
}
