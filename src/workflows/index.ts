// Workflow entry module bundled by the worker (workflowsPath). Export every workflow function here.
export { syncWorkflow } from './sync';
export { importWorkflow } from './import';
export { previewWorkflow } from './preview';
