/** The bundled simulator: a simulated OpenAI-compatible inference server (see server.ts). */
export { startSimulator } from './server.js';
export type { RecordedRequest, Simulator, SimulatorMode, SimulatorOptions } from './server.js';
export { MAX_GENERATED_TOKENS, SIM_MODEL_ID } from './openai.js';
