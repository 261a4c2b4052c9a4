// The お問い合わせ番号 of registered and recorded mail (簡易書留, 特定記録, 一般書留): 10 digits and a check
// digit, the 10-digit number modulo 7, printed `XXX-XX-XXXXX-X` (docs/spec/mailing.md, "Registered and
// recorded mail"; e.g. 131-12-38385-2). The post office hands an insurer a band of numbers; a run takes the
// next ones in order and never one twice (engine/mail/number-band.ts).
import { PrintError } from '../errors.ts';

/** A number as 11 digits, check digit last. */
export type InquiryNumber = string;

/** The check digit of a 10-digit number: the number modulo 7. */
export function inquiryCheckDigit(ten: string): string {
  if (!/^\d{10}$/.test(ten)) throw new RangeError(`an お問い合わせ番号 has 10 digits before its check digit, not "${ten}"`);
  return String(Number(ten) % 7);
}

/** The 11 digits of a 10-digit number with its check digit. */
export function inquiryNumber(ten: string): InquiryNumber {
  return `${ten}${inquiryCheckDigit(ten)}`;
}

/** `XXX-XX-XXXXX-X`, as printed on the piece and on the receipt list. */
export function formatInquiry(number: InquiryNumber): string {
  return `${number.slice(0, 3)}-${number.slice(3, 5)}-${number.slice(5, 10)}-${number.slice(10)}`;
}

/**
 * An お問い合わせ番号 as written (`131-12-38385-2` or `13112383852`): its 11 digits. Anything else, or a
 * wrong check digit, is refused, naming what was given.
 */
export function parseInquiry(text: string): InquiryNumber {
  const digits = text.trim();
  if (!/^\d{3}-\d{2}-\d{5}-\d$|^\d{11}$/.test(digits)) {
    throw new PrintError('INVALID_INPUT', `an お問い合わせ番号 is written 131-12-38385-2 or as 11 digits, not "${text}"`);
  }
  const number = digits.replace(/-/g, '');
  const check = inquiryCheckDigit(number.slice(0, 10));
  if (number.at(-1) !== check) {
    throw new PrintError(
      'INVALID_INPUT',
      `お問い合わせ番号 ${text}: its check digit is ${check} (the first ten digits modulo 7), not ${number.at(-1)}`,
    );
  }
  return number;
}
