import { analyseTransfer, formatTransferReport } from './src/grouping/negativeTransfer.ts';
console.log(formatTransferReport(analyseTransfer(process.argv[2]!)));
