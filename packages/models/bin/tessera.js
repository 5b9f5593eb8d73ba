#!/usr/bin/env node
// The `tessera` command (package.json "bin"): runs the built CLI and exits with its status.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
