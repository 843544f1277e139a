/**
 * Form bodies shaped like the ones ActiveCampaign posts for each webhook event of its list (seeds
 * 001/003, "How webhook data is received"): `type`, `date_time` with offset, `initiated_from`,
 * `initiated_by`, `list`, the `contact[…]` block with custom fields named by numeric id (up to six
 * digits), empty values, `||a||b||` multi-values and tags as one comma-separated string, plus the
 * event's own block (`deal[…]`, `campaign[…]`, `link[…]`, `sms[…]`, `note`, `account[…]`).
 */
const CONTACT: [string, string][] = [
  ['contact[id]', '123456'],
  ['contact[email]', 'jane.doe+ac@example.com'],
  ['contact[first_name]', 'Jane'],
  ['contact[last_name]', 'Doe'],
  ['contact[phone]', ''],
  ['contact[ip]', '203.0.113.7'],
  ['contact[tags]', 'vip, newsletter, spring sale'],
  ['contact[orgname]', ''],
  ['contact[customer_acct_name]', 'Acme Inc'],
  ['contact[fields][1]', 'blue'],
  ['contact[fields][7]', ''],
  ['contact[fields][100]', '||Option 1||Option 2||'],
  ['contact[fields][2345]', '2026-03-01'],
  ['contact[fields][98765]', 'Texas'],
  ['contact[fields][123456]', 'last one'],
  ['contact[fields][perstag]', 'named'],
];

/** The custom fields above as the dialect keeps them (`attributes.fields`). */
export const AC_FIELDS = {
  '1': 'blue',
  '7': '',
  '100': '||Option 1||Option 2||',
  '2345': '2026-03-01',
  '98765': 'Texas',
  '123456': 'last one',
  perstag: 'named',
};

const DEAL: [string, string][] = [
  ['deal[id]', '1507'],
  ['deal[title]', 'Annual plan'],
  ['deal[create_date]', '2026-03-01 10:00:00'],
  ['deal[orgid]', '0'],
  ['deal[orgname]', ''],
  ['deal[stageid]', '12'],
  ['deal[stage_title]', 'Qualified'],
  ['deal[pipelineid]', '3'],
  ['deal[pipeline_title]', 'Sales'],
  ['deal[value]', '1,299.00'],
  ['deal[value_raw]', '1299'],
  ['deal[currency]', 'usd'],
  ['deal[currency_symbol]', '$'],
  ['deal[owner]', '1'],
  ['deal[owner_firstname]', 'Sam'],
  ['deal[owner_lastname]', 'Seller'],
  ['deal[contactid]', '123456'],
  ['deal[contact_email]', 'jane.doe+ac@example.com'],
  ['deal[status]', '0'],
  ['deal[fields][0][id]', '14'],
  ['deal[fields][0][key]', 'Renewal'],
  ['deal[fields][0][value]', '||Q1||Q3||'],
  ['deal[fields][1][id]', '100234'],
  ['deal[fields][1][key]', 'Seats'],
  ['deal[fields][1][value]', ''],
];

const CAMPAIGN: [string, string][] = [
  ['campaign[id]', '88'],
  ['campaign[name]', 'Spring newsletter'],
  ['campaign[status]', '5'],
  ['campaign[message][id]', '301'],
  ['campaign[message][subject]', 'Spring is here'],
];

/** Every event type in ActiveCampaign's webhook list, with the blocks it posts. */
export const AC_EVENTS: { type: string; extra: [string, string][]; contact: boolean }[] = [
  { type: 'subscribe', extra: [], contact: true },
  { type: 'unsubscribe', extra: [['unsubscribe[reason]', ''], ['campaign[id]', '88']], contact: true },
  { type: 'update', extra: [['updated_fields[0]', 'first_name'], ['updated_fields[1]', 'fields[100]']], contact: true },
  { type: 'contact_tag_added', extra: [['tag', 'spring sale']], contact: true },
  { type: 'contact_tag_removed', extra: [['tag', 'vip']], contact: true },
  { type: 'contact_note', extra: [['note', 'Called, wants a demo'], ['note_id', '5512']], contact: true },
  { type: 'contact_task_add', extra: [['task[id]', '77'], ['task[title]', 'Call back'], ['task[duedate]', '2026-03-02 09:00:00']], contact: true },
  { type: 'deal_add', extra: DEAL, contact: true },
  { type: 'deal_update', extra: [...DEAL, ['updated_fields[0]', 'stage']], contact: true },
  { type: 'deal_note_add', extra: [...DEAL, ['note[id]', '90'], ['note[text]', 'Discount agreed']], contact: true },
  { type: 'deal_pipeline_add', extra: [['pipeline[id]', '4'], ['pipeline[title]', 'Partners']], contact: false },
  { type: 'deal_stage_add', extra: [['stage[id]', '41'], ['stage[title]', 'Negotiation'], ['stage[pipeline]', '4']], contact: false },
  { type: 'deal_task_add', extra: [...DEAL, ['task[id]', '78'], ['task[type]', 'call'], ['task[note]', '']], contact: true },
  { type: 'deal_task_complete', extra: [...DEAL, ['task[id]', '78'], ['task[type]', 'call']], contact: true },
  { type: 'deal_tasktype_add', extra: [['tasktype[id]', '9'], ['tasktype[title]', 'Demo']], contact: false },
  { type: 'sent', extra: CAMPAIGN, contact: false },
  { type: 'open', extra: CAMPAIGN, contact: true },
  { type: 'click', extra: [...CAMPAIGN, ['link[id]', '1203'], ['link[url]', 'https://example.com/spring?utm_source=ac']], contact: true },
  { type: 'forward', extra: [...CAMPAIGN, ['forward[email]', 'friend@example.com']], contact: true },
  { type: 'share', extra: [...CAMPAIGN, ['share[network]', 'twitter']], contact: true },
  { type: 'bounce', extra: [...CAMPAIGN, ['bounce[type]', 'hard'], ['bounce[code]', '5.1.1'], ['bounce[description]', 'No such user']], contact: true },
  { type: 'reply', extra: [...CAMPAIGN, ['reply[subject]', 'Re: Spring is here']], contact: true },
  { type: 'list_add', extra: [['list_name', 'Customers'], ['list_id', '3']], contact: false },
  { type: 'sms_reply', extra: [['sms[id]', '61'], ['sms[message]', 'STOP'], ['sms[phone]', '+15125550100']], contact: true },
  { type: 'sms_sent', extra: [['sms[id]', '62'], ['sms[message]', 'Your code is 1234']], contact: true },
  { type: 'sms_unsub', extra: [['sms[phone]', '+15125550100']], contact: true },
  { type: 'account_add', extra: [['account[id]', '31'], ['account[name]', 'Acme Inc'], ['account[fields][101]', 'Enterprise'], ['account[fields][2]', '']], contact: false },
  { type: 'account_update', extra: [['account[id]', '31'], ['account[name]', 'Acme Inc'], ['account[fields][101]', 'Mid-market']], contact: false },
];

/** The urlencoded body ActiveCampaign would post for `event`. */
export function acFormBody(event: (typeof AC_EVENTS)[number]): string {
  const pairs: [string, string][] = [
    ['type', event.type],
    ['date_time', '2026-03-01 10:00:00 -05:00'],
    ['initiated_from', 'admin'],
    ['initiated_by', 'admin'],
    ['list', '0'],
    ...(event.contact ? CONTACT : []),
    ...event.extra,
  ];
  return pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v).replace(/%20/g, '+')}`).join('&');
}
