// Public surface of the first-layer prompt-injection detector.
export {
  createInjectionDetector,
  DEFAULT_INJECTION_THRESHOLD,
  type InjectionDetector,
  type InjectionDetectorOptions,
  type InjectionFinding,
  type InjectionResult,
} from './detector.js';
export { normalizeForDetection } from './normalize.js';
