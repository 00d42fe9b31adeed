export { invoiceWorkflow } from './invoice';
export { policyMigrationWorkflow } from './policy-migration';
