import type { PixelRect } from './compare.ts';

/**
 * The separate changed regions of a page: differing pixels (`mask[i]` non-zero) are gathered into cells of
 * `cellPx`, cells closer than `gapCells` to each other join one region (the strokes of one changed name are
 * one region; a changed name and a changed address are two), and each region answers the smallest
 * rectangle of its own differing pixels. Sorted top to bottom, then left to right.
 *
 * Hand-written: connected-component labelling is twenty lines over a coarse grid, and the image libraries
 * at hand (sharp, pixelmatch) do not label regions.
 */
export function changedRegions(mask: Uint8Array, width: number, height: number, cellPx: number, gapCells = 1): PixelRect[] {
  const cols = Math.ceil(width / cellPx);
  const rows = Math.ceil(height / cellPx);
  // Per cell: the bounds of its differing pixels (x0, y0, x1, y1), x1 < 0 when it has none.
  const bounds = new Int32Array(cols * rows * 4);
  for (let c = 0; c < cols * rows; c++) bounds.set([width, height, -1, -1], c * 4);
  for (let y = 0; y < height; y++) {
    const row = Math.floor(y / cellPx) * cols;
    for (let x = 0; x < width; x++) {
      if (!mask[y * width + x]) continue;
      const b = (row + Math.floor(x / cellPx)) * 4;
      if (x < (bounds[b] as number)) bounds[b] = x;
      if (y < (bounds[b + 1] as number)) bounds[b + 1] = y;
      if (x > (bounds[b + 2] as number)) bounds[b + 2] = x;
      if (y > (bounds[b + 3] as number)) bounds[b + 3] = y;
    }
  }
  const marked = (c: number) => (bounds[c * 4 + 2] as number) >= 0;
  const label = new Int32Array(cols * rows).fill(-1);
  const regions: PixelRect[] = [];
  for (let start = 0; start < cols * rows; start++) {
    if (!marked(start) || (label[start] as number) >= 0) continue;
    const id = regions.length;
    let [x0, y0, x1, y1] = [width, height, -1, -1];
    const stack = [start];
    label[start] = id;
    while (stack.length) {
      const c = stack.pop() as number;
      x0 = Math.min(x0, bounds[c * 4] as number);
      y0 = Math.min(y0, bounds[c * 4 + 1] as number);
      x1 = Math.max(x1, bounds[c * 4 + 2] as number);
      y1 = Math.max(y1, bounds[c * 4 + 3] as number);
      const cx = c % cols;
      const cy = Math.floor(c / cols);
      for (let ny = Math.max(0, cy - gapCells - 1); ny <= Math.min(rows - 1, cy + gapCells + 1); ny++) {
        for (let nx = Math.max(0, cx - gapCells - 1); nx <= Math.min(cols - 1, cx + gapCells + 1); nx++) {
          const n = ny * cols + nx;
          if (marked(n) && (label[n] as number) < 0) {
            label[n] = id;
            stack.push(n);
          }
        }
      }
    }
    regions.push({ x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 });
  }
  return regions.sort((a, b) => a.y - b.y || a.x - b.x);
}
