export { workspaceBilling } from './workspace-billing';
