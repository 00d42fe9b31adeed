export { invoiceWorkflow } from './invoice';
export { policyMigrationWorkflow } from './policy-migration';
export { recurringInvoiceWorkflow } from './recurring-invoice';
export { reportSnapshotsWorkflow } from './report-snapshots';
export { customerAccountWorkflow } from './customer-account';
export { statementWorkflow } from './statement';
export { passwordLinkWorkflow } from './people';
