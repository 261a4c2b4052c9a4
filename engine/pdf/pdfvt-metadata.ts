import { createHash } from 'node:crypto';

/** A PDF text string: UTF-16BE with its byte order mark, in hex (PDF 32000-1, 7.9.2.2), for any script. */
export function pdfText(s: string): string {
  return `<FEFF${Buffer.from(s, 'utf16le').swap16().toString('hex').toUpperCase()}>`;
}

/** What the document's metadata says: the same in the information dictionary and in the XMP. */
export interface VtMetadata {
  title: string;
  subject: string;
  producer: string;
  /** CreateDate = ModifyDate = MetadataDate = GTS_PDFVTModDate: the file is made once, whole. */
  date: Date;
}

/**
 * The date a PDF/VT file states. PDF/X-4 needs a creation and a modification date, and this engine's
 * promise is that the same input gives the same bytes: so the date is not the clock's. It is the date the
 * caller gives (SOURCE_DATE_EPOCH for the CLI, config/env.ts; a job's creation time), else
 * 1970-01-01T00:00:00Z, a value that says "not dated".
 */
export function documentDate(given?: Date): Date {
  return given ?? new Date(0);
}

/** The file identifier (PDF 32000-1, 14.4): 16 bytes of the SHA-256 of everything written before it. */
export function fileId(hash: ReturnType<typeof createHash>): Buffer {
  return hash.digest().subarray(0, 16);
}

const xml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const xmpDate = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const uuid = (b: Buffer) => {
  const h = b.toString('hex');
  return `uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

/**
 * The document's XMP packet (the catalog's /Metadata): the PDF/X-4 identification (pdfxid:GTS_PDFXVersion,
 * ISO 15930-7), the PDF/VT-1 identification and its date (pdfvtid:GTS_PDFVTVersion and GTS_PDFVTModDate,
 * ISO 16612-2), the dates, pdf:Trapped, and the document's identity: xmpMM:DocumentID from the file
 * identifier, InstanceID, VersionID 1, RenditionClass default.
 */
export function xmpPacket(m: VtMetadata, id: Buffer): Buffer {
  const date = xmpDate(m.date);
  const instance = createHash('sha256').update(id).update('instance').digest().subarray(0, 16);
  const text = `<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about=""
 xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:xmp="http://ns.adobe.com/xap/1.0/"
 xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
 xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
 xmlns:pdfxid="http://www.npes.org/pdfx/ns/id/"
 xmlns:pdfvtid="http://www.npes.org/pdfvt/ns/id/">
<dc:format>application/pdf</dc:format>
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">${xml(m.title)}</rdf:li></rdf:Alt></dc:title>
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">${xml(m.subject)}</rdf:li></rdf:Alt></dc:description>
<xmp:CreateDate>${date}</xmp:CreateDate>
<xmp:ModifyDate>${date}</xmp:ModifyDate>
<xmp:MetadataDate>${date}</xmp:MetadataDate>
<xmp:CreatorTool>shikaku-print</xmp:CreatorTool>
<pdf:Producer>${xml(m.producer)}</pdf:Producer>
<pdf:Trapped>False</pdf:Trapped>
<xmpMM:DocumentID>${uuid(id)}</xmpMM:DocumentID>
<xmpMM:InstanceID>${uuid(instance)}</xmpMM:InstanceID>
<xmpMM:VersionID>1</xmpMM:VersionID>
<xmpMM:RenditionClass>default</xmpMM:RenditionClass>
<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>
<pdfvtid:GTS_PDFVTVersion>PDF/VT-1</pdfvtid:GTS_PDFVTVersion>
<pdfvtid:GTS_PDFVTModDate>${date}</pdfvtid:GTS_PDFVTModDate>
</rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="r"?>`;
  return Buffer.from(text, 'utf8');
}

/** The document information dictionary, agreeing with the XMP (ISO 15930-7 asks both to say the same). */
export function infoDictionary(m: VtMetadata): string {
  const d = m.date.toISOString();
  const pdfDate = `D:${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}${d.slice(11, 13)}${d.slice(14, 16)}${d.slice(17, 19)}Z`;
  return [
    '<<',
    `/Title ${pdfText(m.title)}`,
    `/Subject ${pdfText(m.subject)}`,
    `/Creator ${pdfText('shikaku-print')}`,
    `/Producer ${pdfText(m.producer)}`,
    `/CreationDate (${pdfDate})`,
    `/ModDate (${pdfDate})`,
    '/Trapped /False',
    `/GTS_PDFXVersion (PDF/X-4)`,
    '>>',
  ].join('\n');
}
