/** The warehouse simulator: `dockgate sandbox warehouse` and the tests, demo and benches that play a 3PL with it. */
export { PROCESSED_DIR, realWarehouseClock, WarehouseSetupError, WarehouseSimulator, type AckMode, type StepReport, type WarehouseClock, type WarehouseOptions } from './simulator.ts';
export { chooseCarrier, trackingNumber, type ChosenCarrier } from './carriers.ts';
export { loadState, WarehouseStateError, type WarehouseState } from './state.ts';
