// Tests that cannot run on this machine (no pg_dump for the server, no setpriv as root, ...) are
// skipped, and a passing suite must not hide that. A skipped suite or test carries its reason in its
// title through notRun(); the not-run reporter lists them all at the end of the run.

const MARK = /\[NOT RUN: (.+?)\]$/;

/** `title`, marked with why it is skipped when `reason` is set; as it is when the tests run. */
export function notRun(title: string, reason: string | undefined): string {
  return reason ? `${title} [NOT RUN: ${reason}]` : title;
}

/** The reason in a title made by notRun(), if any. */
export function notRunReason(title: string): string | undefined {
  return MARK.exec(title)?.[1];
}
