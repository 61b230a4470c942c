// The longest gap between two runs of a cron schedule, from the shape of its
// fields (an upper bound, never shorter than the real gap): what "older than
// twice its schedule" measures a backup's age against. Pure.

const MACRO_SECONDS: Record<string, number> = {
  "@hourly": 3600,
  "@daily": 86_400,
  "@midnight": 86_400,
  "@weekly": 7 * 86_400,
  "@monthly": 31 * 86_400,
  "@yearly": 366 * 86_400,
  "@annually": 366 * 86_400,
};

/** The largest gap, in units, between the values a field list names within 0..span (wrapping). */
function widestGap(field: string, span: number): number {
  const step = /^\*\/([0-9]+)$/.exec(field);
  if (step) return Number(step[1]);
  if (!/^[0-9]+(,[0-9]+)*$/.test(field)) return span;
  const values = [...new Set(field.split(",").map(Number))].sort((a, b) => a - b);
  let widest = span - (values.at(-1) as number) + (values[0] as number);
  for (let i = 1; i < values.length; i++)
    widest = Math.max(widest, (values[i] as number) - (values[i - 1] as number));
  return widest;
}

/** Seconds between runs at most; a schedule validate accepts is assumed. */
export function cronPeriodSeconds(schedule: string): number {
  const text = schedule.trim();
  const macro = MACRO_SECONDS[text];
  if (macro) return macro;
  const [minute = "*", hour = "*", dom = "*", month = "*", dow = "*"] = text.split(/\s+/);
  const any = (f: string) => f === "*" || f === "?";
  if (!any(month)) return 366 * 86_400;
  if (!any(dom)) return 31 * 86_400;
  if (!any(dow)) return 7 * 86_400;
  if (!any(hour)) return widestGap(hour, 24) * 3600;
  if (!any(minute)) return widestGap(minute, 60) * 60;
  return 60;
}
