/** Odoo's date and datetime texts: what a calendar allows, and the commit time as Odoo writes it. */

/** Whether year-month-day is a day of the proleptic Gregorian calendar (years 1 to 9999, as PostgreSQL's date). */
export function validCalendarDate(year: number, month: number, day: number): boolean {
  // setUTCFullYear, because Date.UTC reads years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return year >= 1 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** Odoo's datetime format, UTC: `YYYY-MM-DD HH:MM:SS`. */
export function formatOdooDatetime(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}
