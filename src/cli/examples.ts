/**
 * One or two examples for each command, as help prints them. A test parses every one
 * with the command table, so an example can never use a flag the parser does not take.
 */
export const examples: { [command: string]: string[] } = {
  version: ["strata version --json"],
  new: ["strata new --description deps --hold 2h", "strata new --parent key:deps-$HASH"],
  path: ["cd \"$(strata path key:deps)\"", "strata path ID --rw"],
  commit: ["strata commit ID --key deps-$HASH"],
  release: ["strata release ID"],
  reopen: ["strata reopen ID --hold 1h"],
  info: ["strata info key:deps --json"],
  du: ["strata du --filter type==exec.cachemount", "strata du --verbose"],
  prune: ["strata prune --keep-duration 48h --max-used-space 20%", "strata prune --all --dry-run"],
  "key set": ["strata key set deps-$HASH ID"],
  "key get": ["strata key get deps-$HASH --restore-prefix deps-"],
  "key ls": ["strata key ls --json"],
  "key rm": ["strata key rm deps-old"],
  "lease create": ["strata lease create --id build-42 --expires 1h"],
  "lease add": ["strata lease add build-42 ID"],
  "lease ls": ["strata lease ls"],
  "lease rm": ["strata lease rm build-42"],
  merge: ["strata merge key:base key:deps"],
  diff: ["strata diff BASE TOP", "strata diff TOP"],
  import: ["strata import layer.tar.gz --parent ID", "strata import oci:./image:v1 --lazy"],
  export: ["strata export ID --compression zstd", "strata export ID --output ./out --tag v2"],
  push: ["strata push key:deps registry.example.com/ci/cache:deps-$HASH"],
  pull: ["strata pull registry.example.com/ci/cache:deps-$HASH --restore-prefix deps- --lazy"],
  gc: ["strata gc"],
  check: ["strata check --repair"],
  serve: ["strata serve --listen 127.0.0.1:8080 --config gc.toml"],
  help: ["strata help prune"],
  completion: ["source <(strata completion bash)"],
};
