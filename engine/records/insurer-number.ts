/**
 * The check digit of a 保険者番号 (insurer number), the last of its 6 (国民健康保険) or 8 digits.
 * Rule (保険者番号の検証番号, as restated in docs/spec/documents.md): take the digits before it from the
 * right, multiply them alternately by 2, 1, 2, 1 …, add up the digits of each product, and the check digit
 * is (10 − sum mod 10) mod 10. 01130012 and 39131156 are valid.
 */
export function insurerCheckDigit(digitsBeforeCheck: string): number {
  let sum = 0;
  const digits = [...digitsBeforeCheck].reverse();
  digits.forEach((ch, i) => {
    const product = Number(ch) * (i % 2 === 0 ? 2 : 1);
    sum += Math.floor(product / 10) + (product % 10);
  });
  return (10 - (sum % 10)) % 10;
}

/** Whether `n` is a 保険者番号 of 6 or 8 digits whose last digit is its check digit. */
export function isValidInsurerNumber(n: string): boolean {
  if (!/^(\d{6}|\d{8})$/.test(n)) return false;
  return insurerCheckDigit(n.slice(0, -1)) === Number(n.slice(-1));
}
