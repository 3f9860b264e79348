import { parseQuietHours, quietHoursEnd } from './quiet-hours';

/** Quiet hours are JST wall-clock times; instants are UTC (JST = UTC+9, no daylight saving). */
const jst = (iso: string) => new Date(`${iso}+09:00`);

describe('quiet hours', () => {
  const overnight = parseQuietHours('21:00-09:00');

  it('span midnight when they start after they end', () => {
    expect(quietHoursEnd(overnight, jst('2030-01-10T20:59:59'))).toBeNull();
    expect(quietHoursEnd(overnight, jst('2030-01-10T21:00:00'))).toEqual(jst('2030-01-11T09:00:00'));
    expect(quietHoursEnd(overnight, jst('2030-01-11T03:30:00'))).toEqual(jst('2030-01-11T09:00:00'));
    expect(quietHoursEnd(overnight, jst('2030-01-11T08:59:59.999'))).toEqual(jst('2030-01-11T09:00:00'));
    expect(quietHoursEnd(overnight, jst('2030-01-11T09:00:00'))).toBeNull();
  });

  it('stay within the day when they start before they end', () => {
    const lunch = parseQuietHours('12:00-13:00');
    expect(quietHoursEnd(lunch, jst('2030-01-10T12:30:00'))).toEqual(jst('2030-01-10T13:00:00'));
    expect(quietHoursEnd(lunch, jst('2030-01-10T13:00:00'))).toBeNull();
    expect(quietHoursEnd(lunch, jst('2030-01-10T11:59:00'))).toBeNull();
  });

  it('are none when empty or of no length', () => {
    expect(parseQuietHours('')).toBeNull();
    expect(parseQuietHours('09:00-09:00')).toBeNull();
    expect(quietHoursEnd(null, jst('2030-01-10T23:00:00'))).toBeNull();
  });

  it('refuse anything but HH:MM-HH:MM', () => {
    expect(() => parseQuietHours('9pm-9am')).toThrow('HH:MM-HH:MM');
  });
});
