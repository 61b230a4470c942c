// Checks a cron schedule the way Kubernetes CronJobs read it (robfig/cron
// standard parser): five fields, or one of the @ macros, optional TZ= prefix is
// refused because CronJobs take the time zone from spec.timeZone.

const MACROS = new Set([
  "@yearly",
  "@annually",
  "@monthly",
  "@weekly",
  "@daily",
  "@midnight",
  "@hourly",
]);

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

interface Field {
  name: string;
  min: number;
  max: number;
  names?: string[];
  namesStart?: number;
}

const FIELDS: Field[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS, namesStart: 1 },
  { name: "day of week", min: 0, max: 7, names: DAYS, namesStart: 0 },
];

function parseValue(text: string, field: Field): number | undefined {
  if (/^[0-9]+$/.test(text)) return Number(text);
  const i = field.names?.indexOf(text.toLowerCase()) ?? -1;
  return i >= 0 ? i + (field.namesStart ?? 0) : undefined;
}

function checkPart(part: string, field: Field): string | undefined {
  const [range, step, extra] = part.split("/");
  if (extra !== undefined || range === undefined || range === "")
    return `'${part}' is not a valid ${field.name}`;
  if (step !== undefined && !/^[1-9][0-9]*$/.test(step))
    return `step '${step}' in the ${field.name} must be a positive number`;
  if (range === "*" || range === "?") return undefined;
  const bounds = range.split("-");
  if (bounds.length > 2) return `'${range}' is not a valid ${field.name} range`;
  const values: number[] = [];
  for (const b of bounds) {
    const v = parseValue(b, field);
    if (v === undefined) return `'${b}' is not a valid ${field.name}`;
    if (v < field.min || v > field.max)
      return `${field.name} ${v} is out of range ${field.min}-${field.max}`;
    values.push(v);
  }
  if (values.length === 2 && (values[0] as number) > (values[1] as number))
    return `${field.name} range '${range}' runs backwards`;
  return undefined;
}

/** Returns why a schedule is invalid, or undefined when it is valid. */
export function cronError(schedule: string): string | undefined {
  const s = schedule.trim();
  if (s.startsWith("@")) {
    if (MACROS.has(s)) return undefined;
    if (/^@every [0-9]+(ms|s|m|h)+/.test(s)) return undefined;
    return `unknown schedule macro '${s}'`;
  }
  if (/^(CRON_)?TZ=/.test(s)) return "time zones go in timeZone, not in the schedule";
  const parts = s.split(/\s+/);
  if (parts.length !== 5)
    return `a cron schedule has 5 fields (minute hour day-of-month month day-of-week), this one has ${parts.length}`;
  for (const [i, text] of parts.entries()) {
    const field = FIELDS[i] as Field;
    for (const part of text.split(",")) {
      const err = checkPart(part, field);
      if (err) return err;
    }
  }
  return undefined;
}
