/**
 * `${VAR}` and `${VAR:-default}` in every string value of the parsed YAML tree. A variable that is
 * not set (and has no default) is an error naming the variable and the YAML path. `$${` writes a
 * literal `${`. Interpolation works on parsed values, not on the YAML text, so a variable's
 * content can never inject YAML structure.
 */

export interface InterpolationProblem { path: string; message: string; }

const REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function pathString(parts: readonly (string | number)[]): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? p : `.${p}`;
  }
  return out === '' ? '(root)' : out;
}

export function interpolate(
  value: unknown,
  env: NodeJS.ProcessEnv,
  problems: InterpolationProblem[],
  path: (string | number)[] = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(REF, (whole: string, name: string | undefined, dflt: string | undefined) => {
      if (whole === '$${') return '${';
      const v = env[name as string];
      if (v !== undefined && v !== '') return v;
      if (dflt !== undefined) return dflt;
      problems.push({ path: pathString(path), message: `environment variable ${name} is not set` });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, problems, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, env, problems, [...path, k]);
    return out;
  }
  return value;
}
