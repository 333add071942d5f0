// The baseline workflows of the renewal benchmark, in one bundle.
export { wakeAndNoop } from './wake-and-noop';
export { trivialSignUp } from './signup-noop';
