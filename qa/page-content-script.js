/* global PDFDocument, print, scriptArgs */
// Run by MuPDF's `mutool run` (MuJS: ES5, MuPDF's JavaScript API), from qa/page-content.ts:
//   mutool run page-content-script.js PDF FIRST LAST DIR
// For each page FIRST..LAST prints one line, `PAGE<TAB>TEXT`, TEXT a canonical writing of what draws the
// page: its boxes and rotation, its content streams and its resources, followed through every indirect
// object. Object numbers are not in it: an indirect object is written out in place, and a stream as
// `S<n>` whose decoded bytes this script saves once to DIR/<n> (the caller replaces `S<n>` by the hash of
// those bytes; hashing 200 KB of font program in MuJS takes half a second, saving it nothing). A font
// subset's tag (`ABCDEF+`) is left out of names. Keys that point back up the tree (Parent, P) or do not
// draw (Dest, A, Metadata, StructParents) are skipped. MuPDF reads objects from the file as they are
// asked for, so a 300,000-page proof is never held whole.
var doc = new PDFDocument(scriptArgs[0]);
var first = Number(scriptArgs[1]);
var last = Number(scriptArgs[2]);
var dir = scriptArgs[3];

var TAG = /^[A-Z]{6}\+/;
var PAGE_KEYS = ['MediaBox', 'CropBox', 'Rotate', 'UserUnit', 'Group', 'Contents', 'Resources', 'Annots'];
var SKIPPED = { Parent: 1, P: 1, Dest: 1, A: 1, Metadata: 1, StructParents: 1 };
var ENCODING = { Length: 1, Filter: 1, DecodeParms: 1, DL: 1 };
var written = {};
var saved = {};
var open = {};

function direct(obj) {
  if (obj.isNull()) return 'null';
  if (obj.isName()) return '/' + obj.asName().replace(TAG, '');
  if (obj.isArray()) {
    var items = [];
    for (var i = 0; i < obj.length; i++) items.push(write(obj.get(i)));
    return '[' + items.join(' ') + ']';
  }
  if (obj.isDictionary()) {
    var keys = [];
    obj.forEach(function (key) {
      if (!SKIPPED[key] && !(obj.isStream() && ENCODING[key])) keys.push(key);
    });
    keys.sort();
    var parts = [];
    for (var k = 0; k < keys.length; k++) parts.push('/' + keys[k] + ' ' + write(obj.get(keys[k])));
    return '<<' + parts.join(' ') + '>>';
  }
  if (obj.isString()) return '(' + encodeURIComponent(obj.asString()) + ')';
  return String(obj);
}

function write(obj) {
  if (!obj.isIndirect()) return direct(obj);
  var n = obj.asIndirect();
  if (written[n] !== undefined) return written[n];
  if (open[n]) return 'R'; // a loop back to an object being written
  open[n] = true;
  var text = direct(obj);
  if (obj.isStream()) {
    if (!saved[n]) obj.readStream().save(dir + '/' + n);
    saved[n] = true;
    text = 'S' + n + text;
  }
  delete open[n];
  written[n] = text;
  return text;
}

var INHERITED = { MediaBox: 1, CropBox: 1, Rotate: 1, Resources: 1 };

/** A page's entry, or its nearest ancestor's for the four a page inherits (PDF 32000-1, 7.7.3.4). */
function entry(page, key) {
  for (var node = page, depth = 0; node && depth < 64; depth++) {
    var value = node.get(key);
    if (value !== null && value !== undefined && !value.isNull()) return value;
    if (!INHERITED[key]) return null;
    node = node.get('Parent');
  }
  return null;
}

for (var p = first; p <= last; p++) {
  var page = doc.findPage(p - 1);
  var parts = [];
  for (var k = 0; k < PAGE_KEYS.length; k++) {
    var value = entry(page, PAGE_KEYS[k]);
    if (value) parts.push('/' + PAGE_KEYS[k] + ' ' + write(value));
  }
  print(p + '\t' + parts.join(' '));
}
