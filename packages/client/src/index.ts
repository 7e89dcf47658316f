export { formatBytes, formatCount, formatDuration, formatUsd, sumUsd, trimUsd } from './format.ts';
