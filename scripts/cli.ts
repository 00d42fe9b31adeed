import { runCli } from '../src/cli';

// npm run cli -- policy list | show | validate | create | diff | simulate | migrate | migration  (see --help)
void runCli(process.argv.slice(2), {
  env: process.env,
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  progress: process.stderr,
}).then((code) => {
  process.exitCode = code;
});
