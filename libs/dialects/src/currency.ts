/**
 * ISO 4217 currency codes. The list is data, kept here rather than pulled from a package, so that
 * validation never changes under us with a dependency bump.
 *
 * ISO 4217 List One, circulating currencies, as of 2025. Left out on purpose: fund codes (BOV,
 * CHE, CHW, CLF, COU, MXV, USN, UYI, UYW), precious metals (XAU, XAG, XPD, XPT), bond-market
 * units (XBA–XBD), the test and "no currency" codes (XTS, XXX) and withdrawn codes (e.g. HRK since
 * 2023). Codes still in the list during a changeover (ANG next to XCG, SLL next to SLE, ZWL next
 * to ZWG, CUC) are kept, since senders keep using them.
 */
export const ISO_4217_CODES: ReadonlySet<string> = new Set(
  (
    'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN ' +
    'BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL ' +
    'GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW ' +
    'KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN ' +
    'NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK ' +
    'SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU ' +
    'UZS VED VES VND VUV WST XAF XCD XCG XDR XOF XPF XSU YER ZAR ZMW ZWG ZWL'
  ).split(' '),
);

/**
 * Symbols read as a currency only where one currency is meant in practice. `€` and `£`
 * (GBP; the pound-named EGP/GIP/FKP/SHP write theirs with a prefix), `₹`, `₩`, `₪`, `₫`, `₱`, `₴`,
 * `₺`, `₽`, `₦`, and the prefixed dollars (`US$`, `C$`/`CA$`, `A$`/`AU$`, `NZ$`, `HK$`, `S$`,
 * `R$` for BRL). A bare `$` (USD, CAD, AUD, MXN, … all use it) and `¥` (JPY or CNY) are ambiguous
 * and never guessed.
 */
export const CURRENCY_SYMBOLS: Readonly<Record<string, string>> = {
  '€': 'EUR', '£': 'GBP', '₹': 'INR', '₩': 'KRW', '₪': 'ILS', '₫': 'VND', '₱': 'PHP', '₴': 'UAH', '₺': 'TRY',
  '₽': 'RUB', '₦': 'NGN', 'US$': 'USD', 'C$': 'CAD', 'CA$': 'CAD', 'A$': 'AUD', 'AU$': 'AUD', 'NZ$': 'NZD',
  'HK$': 'HKD', 'S$': 'SGD', 'R$': 'BRL',
};
export const AMBIGUOUS_SYMBOLS: ReadonlySet<string> = new Set(['$', '¥', '￥', 'kr', 'Fr']);

export const CURRENCY_RULE = 'isISO4217';

export type CurrencyResult = { ok: true; code: string } | { ok: false; rule: string; message: string };

export function isCurrencyCode(value: unknown): value is string {
  return typeof value === 'string' && ISO_4217_CODES.has(value);
}

/** A code in any case (`usd`), or an unambiguous symbol, → the upper-case ISO 4217 code. */
export function normaliseCurrency(value: unknown): CurrencyResult {
  if (typeof value !== 'string') return { ok: false, rule: CURRENCY_RULE, message: 'must be an ISO 4217 currency code such as "USD"' };
  const text = value.trim();
  const upper = text.toUpperCase();
  if (ISO_4217_CODES.has(upper)) return { ok: true, code: upper };
  const bySymbol = CURRENCY_SYMBOLS[text] ?? CURRENCY_SYMBOLS[upper];
  if (bySymbol) return { ok: true, code: bySymbol };
  if (AMBIGUOUS_SYMBOLS.has(text)) {
    return { ok: false, rule: CURRENCY_RULE, message: `"${text}" is used by several currencies; send an ISO 4217 code such as "USD"` };
  }
  return { ok: false, rule: CURRENCY_RULE, message: 'must be an ISO 4217 currency code such as "USD"' };
}
