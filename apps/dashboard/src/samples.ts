import type { Dialect } from './types';

/** A request each dialect accepts, for the curl example next to a new source's URL. */
export function curlExample(url: string, dialect: Dialect): string {
  if (dialect === 'activecampaign') {
    return [
      `curl -X POST '${url}' \\`,
      `  --data-urlencode 'type=subscribe' \\`,
      `  --data-urlencode 'contact[email]=jane@example.com' \\`,
      `  --data-urlencode 'contact[first_name]=Jane' \\`,
      `  --data-urlencode 'contact[last_name]=Doe'`,
    ].join('\n');
  }
  const body =
    dialect === 'provesource'
      ? { email: 'jane@example.com', firstName: 'Jane', lastName: 'Doe', city: 'Miami', countryCode: 'US', productName: 'Sneakers', total: 55, currency: 'USD' }
      : { event: 'purchase', first_name: 'Sarah', city: 'London', country: 'UK', product: 'Running Shoes', timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
  return [`curl -X POST '${url}' \\`, `  -H 'content-type: application/json' \\`, `  -d '${JSON.stringify(body)}'`].join('\n');
}
