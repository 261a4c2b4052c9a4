import postcss from 'postcss';

const SIDES = ['top', 'right', 'bottom', 'left'] as const;
type Side = (typeof SIDES)[number];

// CSS's border-width keywords, as Chromium sizes them.
const KEYWORDS: Record<string, string> = { thin: '1px', medium: '3px', thick: '5px' };
const LENGTH = /^(?:0|[-+]?(?:\d+\.?\d*|\.\d+)(?:mm|cm|q|in|pt|pc|px|em|rem)|calc\(.*\))$/i;

/** The registered properties that carry declared border widths: lengths, not inherited, 0 by default. */
export const RULE_PROPERTIES = SIDES.map((s) => `@property --rule-${s}{syntax:"<length>";inherits:false;initial-value:0px}`).join('\n');

/** A layout's CSS with every declared border width copied into --rule-<side>, and the selectors that declare them. */
export interface RuledCss {
  css: string;
  /** Every selector whose rule sets a border width: the only elements that can have a rule to draw. */
  selectors: string[];
}

/**
 * Copies each border width a stylesheet declares into a registered custom property beside it
 * (`border-bottom: 0.2mm solid` gains `--rule-bottom: 0.2mm`). The cascade then resolves those properties
 * exactly as it resolves the borders, but Chromium does not snap them to whole pixels as it snaps border
 * widths; engine/browser/rules.ts reads them to draw each rule at its declared width. A width given
 * through var() cannot be known here and is left to CSS.
 */
export function withRuleWidths(css: string): RuledCss {
  const root = postcss.parse(css);
  const selectors = new Set<string>();
  root.walkDecls((decl) => {
    const m = /^border(?:-(top|right|bottom|left))?(-width)?$/.exec(decl.prop.toLowerCase());
    if (!m || /var\(/i.test(decl.value)) return;
    const side = m[1] as Side | undefined;
    const tokens = postcss.list.space(decl.value.toLowerCase());
    const widths = new Map<Side, string>();
    if (m[2]) {
      // border-width: 1 to 4 values, in CSS's top, right, bottom, left order; border-<side>-width: one
      const values = tokens.map((t) => KEYWORDS[t] ?? t);
      if (side) widths.set(side, values[0] ?? '');
      else {
        const pick = [
          [0, 0, 0, 0],
          [0, 1, 0, 1],
          [0, 1, 2, 1],
          [0, 1, 2, 3],
        ][Math.min(values.length, 4) - 1] ?? [0, 0, 0, 0];
        SIDES.forEach((s, i) => widths.set(s, values[pick[i] ?? 0] ?? ''));
      }
    } else {
      // a shorthand: its width is its one length, or medium when it gives none
      const width = tokens.map((t) => KEYWORDS[t] ?? t).find((t) => LENGTH.test(t)) ?? KEYWORDS.medium;
      for (const s of side ? [side] : SIDES) widths.set(s, width as string);
    }
    for (const [s, width] of [...widths].reverse()) {
      if (!LENGTH.test(width)) continue;
      decl.cloneAfter({ prop: `--rule-${s}`, value: width });
    }
    if (decl.parent?.type === 'rule') selectors.add(decl.parent.selector);
  });
  return { css: root.toString(), selectors: [...selectors] };
}
