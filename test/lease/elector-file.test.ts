// Elector with the file backend: one leader, hand-over, kill -9 failover, frozen leader (see elector-backends.ts).
import { electorTests } from './elector-backends.js';

electorTests('file', 300);
