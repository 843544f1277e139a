import { AMBIGUOUS_SYMBOLS, CURRENCY_SYMBOLS, ISO_4217_CODES } from './currency';

/**
 * Amounts as senders write them → a number. Accepted: finite numbers; strings of digits with `.`
 * as the decimal point and `,` only as a thousands separator in groups of three (`1,299.50`);
 * an optional leading `-`; an optional currency symbol or ISO code before or after (`$49`,
 * `49 EUR`, `€1,299.50`). A continental `1.299,50` is refused: read either way it could be
 * wrong by a factor of a thousand.
 */
export type AmountResult =
  | { ok: true; amount: number; /** Code implied by a symbol or code in the text, when unambiguous. */ currency: string | null }
  | { ok: false; rule: string; message: string };

export const AMOUNT_RULE = 'isAmount';
const AMOUNT_MESSAGE = 'must be a number or a numeric string such as "49.00" or "1,299.50"';

const NUMBER_RE = /^-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$/;
const AFFIX_RE = /^(-)?\s*([^\d\s.,-][^\d\s]*?)?\s*(-?[\d.,]+)\s*([^\d\s.,-]\S*)?$/u;

function currencyOfAffix(affix: string): string | null | undefined {
  const upper = affix.toUpperCase();
  if (ISO_4217_CODES.has(upper)) return upper;
  const symbol = CURRENCY_SYMBOLS[affix] ?? CURRENCY_SYMBOLS[upper];
  if (symbol) return symbol;
  if (AMBIGUOUS_SYMBOLS.has(affix)) return null;
  return undefined; // not a currency at all: the text is not an amount
}

export function parseAmount(value: unknown): AmountResult {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? { ok: true, amount: value, currency: null } : { ok: false, rule: AMOUNT_RULE, message: AMOUNT_MESSAGE };
  }
  if (typeof value !== 'string') return { ok: false, rule: AMOUNT_RULE, message: AMOUNT_MESSAGE };
  const m = AFFIX_RE.exec(value.trim());
  if (!m) return { ok: false, rule: AMOUNT_RULE, message: AMOUNT_MESSAGE };
  const [, leadingMinus, prefix, numberText, suffix] = m;
  if (prefix !== undefined && suffix !== undefined) return { ok: false, rule: AMOUNT_RULE, message: AMOUNT_MESSAGE };
  if (leadingMinus && numberText.startsWith('-')) return { ok: false, rule: AMOUNT_RULE, message: AMOUNT_MESSAGE };
  if (!NUMBER_RE.test(numberText)) return { ok: false, rule: AMOUNT_RULE, message: AMOUNT_MESSAGE };
  const affix = prefix ?? suffix;
  let currency: string | null = null;
  if (affix !== undefined) {
    const c = currencyOfAffix(affix);
    if (c === undefined) return { ok: false, rule: AMOUNT_RULE, message: AMOUNT_MESSAGE };
    currency = c;
  }
  const amount = Number(numberText.replace(/,/g, ''));
  if (!Number.isFinite(amount)) return { ok: false, rule: AMOUNT_RULE, message: AMOUNT_MESSAGE };
  return { ok: true, amount: leadingMinus ? -amount : amount, currency };
}

export const QUANTITY_RULE = 'isQuantity';

/** A non-negative whole number, from a number or a digit string. */
export function parseQuantity(value: unknown): number | null {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : null;
  if (typeof value === 'string' && /^\d{1,9}$/.test(value.trim())) return Number(value.trim());
  return null;
}
