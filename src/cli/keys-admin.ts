/**
 * `modelgate keys create|list|rotate|revoke|update --admin URL`: the admin key API from the
 * command line. The admin token comes from the environment (MODELGATE_ADMIN_TOKEN), never from an
 * argument (arguments show in `ps`). The new key of create/rotate is printed once, on stdout.
 */
export const ADMIN_TOKEN_ENV = 'MODELGATE_ADMIN_TOKEN';

export const ADMIN_USAGE = `usage: modelgate keys create [--id ID] [--tier T] [--expires ISO] [--routes a,b] [--models a,b] [--cidrs a,b] --admin URL
       modelgate keys list --admin URL
       modelgate keys rotate --id ID [--grace 24h] --admin URL
       modelgate keys revoke --id ID --admin URL
       modelgate keys update --id ID [--tier T|none] [--expires ISO|none] [--routes a,b|none] [--models a,b|none] [--cidrs a,b|none] --admin URL
The admin token is read from $${ADMIN_TOKEN_ENV}.
`;

type Values = Record<string, string | boolean | undefined>;

const list = (v: string): string[] | null => (v === 'none' ? null : v.split(',').map((s) => s.trim()).filter((s) => s.length > 0));

/** The JSON body of create/update from the flags; `none` clears a field (update). */
function scopeBody(values: Values): Record<string, unknown> {
  const b: Record<string, unknown> = {};
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? values[k] as string : undefined);
  if (str('tier') !== undefined) b.tier = str('tier') === 'none' ? null : str('tier');
  if (str('expires') !== undefined) b.expiresAt = str('expires') === 'none' ? null : str('expires');
  if (str('routes') !== undefined) b.routes = list(str('routes') as string);
  if (str('models') !== undefined) b.models = list(str('models') as string);
  if (str('cidrs') !== undefined) b.allowedCidrs = list(str('cidrs') as string);
  return b;
}

export async function runAdminKeys(action: string, values: Values): Promise<number> {
  const admin = values.admin;
  const token = process.env[ADMIN_TOKEN_ENV];
  if (typeof admin !== 'string') {
    process.stderr.write(ADMIN_USAGE);
    return 2;
  }
  if (token === undefined || token === '') {
    process.stderr.write(`modelgate keys ${action}: set ${ADMIN_TOKEN_ENV} to the admin token\n`);
    return 2;
  }
  const id = typeof values.id === 'string' ? encodeURIComponent(values.id) : null;
  if (id === null && ['rotate', 'revoke', 'update'].includes(action)) {
    process.stderr.write(`modelgate keys ${action}: --id is required\n`);
    return 2;
  }
  let method = 'GET';
  let path = '/admin/keys';
  let body: Record<string, unknown> | null = null;
  switch (action) {
    case 'list': break;
    case 'create': method = 'POST'; body = { ...(id === null ? {} : { id: values.id }), ...scopeBody(values) }; break;
    case 'rotate': method = 'POST'; path += `/${id}/rotate`; body = typeof values.grace === 'string' ? { grace: values.grace } : {}; break;
    case 'revoke': method = 'DELETE'; path += `/${id}`; break;
    case 'update': method = 'PATCH'; path += `/${id}`; body = scopeBody(values); break;
  }
  let res: Response;
  try {
    res = await fetch(new URL(path, admin), {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === null ? {} : { 'content-type': 'application/json' }) },
      ...(body === null ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    process.stderr.write(`modelgate keys ${action}: cannot reach ${admin}: ${(err as Error).message}\n`);
    return 1;
  }
  const text = await res.text();
  if (!res.ok) {
    process.stderr.write(`modelgate keys ${action}: ${res.status} ${text}\n`);
    return 1;
  }
  const out = JSON.parse(text) as Record<string, unknown>;
  if (typeof out.key === 'string') {
    process.stderr.write('the key is shown once; give it to the client now\n');
  }
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  return 0;
}
