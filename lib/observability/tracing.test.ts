import { tracingEnabled } from './tracing';

describe('the tracing switch', () => {
  it('is off unless OTEL_TRACES_EXPORTER names an exporter', () => {
    expect(tracingEnabled({})).toBe(false);
    expect(tracingEnabled({ OTEL_TRACES_EXPORTER: '' })).toBe(false);
    expect(tracingEnabled({ OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
    expect(tracingEnabled({ OTEL_TRACES_EXPORTER: 'otlp,none' })).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(false);
    expect(tracingEnabled({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(tracingEnabled({ OTEL_TRACES_EXPORTER: ' console , otlp ' })).toBe(true);
  });

  it('stays off with OTEL_SDK_DISABLED=true, the standard way to turn the SDK off', () => {
    expect(tracingEnabled({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' })).toBe(false);
  });
});
