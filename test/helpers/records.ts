// Records the tests start from: each test changes the one field it is about.

/** A valid 国保 資格確認書 record of 出雲市 (the samples' insurer, a holder under 70). */
export const VALID_KOKUHO_CARD = {
  insurerNumber: '320036',
  insurerName: '出雲市',
  prefecture: '島根県',
  symbol: '出雲12',
  number: '0034567',
  branch: '01',
  name: '山田 太郎',
  sex: '男' as const,
  birthDate: '1984-05-17',
  householderName: '山田 太郎',
  address: '島根県出雲市今市町70番地',
  qualifiedDate: '2019-05-01',
  issueDate: '2026-08-01',
  expiryDate: '2027-07-31',
};
