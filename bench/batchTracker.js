#!/usr/bin/env node
// A small, faithful copy of the seed tool's dashboard path (tools/execution/batchTracker.js),
// written from its behaviour as tests/test_cli_parity.py pins it (the same table, byte for
// byte, on tests/data_old_plan.json). It exists only so bench/bench_cli.py can time batchbot
// against the tool it replaces on this machine: the same shape the seed had — require fs and
// path, read and JSON.parse the plan, check it (first error only, as the seed did), print.
// `update` sets key=value pairs on one batch and writes the JSON back (2-space indent), as the
// seed did (it committed nothing); `metrics` and `weekly` are left out.
'use strict';

const fs = require('fs');
const path = require('path');

const PLAN_PATH =
  process.env.EXECUTION_PLAN_PATH || path.join(__dirname, '..', 'plan', 'execution-plan.json');

const STATUSES = ['not-started', 'queued', 'in-progress', 'blocked', 'done'];
const STATUS_LABELS = {
  done: '✅ Done',
  'in-progress': '🟡 In Progress',
  blocked: '🟥 Blocked',
  queued: '⚪ Queued',
  'not-started': '🔴 Not Started',
};

function loadPlan(planPath = PLAN_PATH) {
  const plan = JSON.parse(fs.readFileSync(planPath, 'utf8'));
  validatePlan(plan);
  return plan;
}

function validatePlan(plan) {
  if (!plan || !Array.isArray(plan.batches)) {
    throw new Error('Invalid plan: "batches" must be an array');
  }
  for (const batch of plan.batches) {
    if (!batch.id || !batch.name) {
      throw new Error('Invalid plan: every batch needs an id and a name');
    }
    if (!STATUSES.includes(batch.status)) {
      throw new Error(`Invalid status "${batch.status}" for ${batch.id}`);
    }
    if (typeof batch.progress !== 'number' || batch.progress < 0 || batch.progress > 100) {
      throw new Error(`Invalid progress for ${batch.id}`);
    }
  }
}

function cell(text) {
  return String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function generateDashboard(plan) {
  const rows = [
    '| Batch | Priority | Status | Progress | Target Date | Owner | Blockers |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const b of plan.batches) {
    const blockers = b.blockers && b.blockers.length ? b.blockers.join(', ') : 'None';
    rows.push(
      `| ${cell(b.name)} | ${b.priority} | ${STATUS_LABELS[b.status]} | ${b.progress}% | ` +
        `${cell(b.targetDate)} | ${cell(b.owner || 'Unassigned')} | ${blockers} |`
    );
  }
  return rows.join('\n');
}

function cli() {
  const [command] = process.argv.slice(2);
  try {
    switch (command) {
      case 'dashboard':
        console.log(generateDashboard(loadPlan()));
        break;
      case 'update': {
        const [, id, ...pairs] = process.argv.slice(2);
        const plan = loadPlan();
        const batch = plan.batches.find((b) => b.id === id);
        if (!batch) throw new Error(`Unknown batch "${id}"`);
        for (const pair of pairs) {
          const at = pair.indexOf('=');
          if (at < 1) throw new Error(`Expected key=value, got "${pair}"`);
          const key = pair.slice(0, at);
          const value = pair.slice(at + 1);
          if (key === 'progress') batch.progress = Number(value);
          else if (key === 'blockers') batch.blockers = value ? value.split(',') : [];
          else batch[key] = value;
        }
        validatePlan(plan);
        fs.writeFileSync(PLAN_PATH, JSON.stringify(plan, null, 2) + '\n');
        console.log(`Updated ${id}`);
        break;
      }
      case 'validate':
        loadPlan();
        console.log('Plan is valid');
        break;
      default:
        console.log('Usage: node batchTracker.js <dashboard|validate>');
        process.exitCode = command ? 1 : 0;
    }
  } catch (err) {
    console.error(`Error: ${err.message}`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  cli();
}

module.exports = { loadPlan, validatePlan, generateDashboard };
