/** The ladder model: see ./ladder-model.ts for the geometry, ./build-ladder.ts to make one. */
export type { Ladder, LadderCrossing, LadderEvent, LadderLane, LadderLeg, LadderPacketEvent, LaneRole } from './ladder-model.js';
export { buildLadder, clockOffsetsUs, DEFAULT_MAX_PACKETS_PER_LEG, endpointText, packetLabel, type BuildLadderOptions } from './build-ladder.js';
export { formatDuration, formatRelative, gapRows, GAP_FLOOR_US, MAX_GAP_ROWS, TIME_BREAK_US } from './time-scale.js';
export { httpFirstLine, protoWord, tcpFlagsText } from './packet-label.js';
