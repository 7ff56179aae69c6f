/**
 * yargs' validation messages as knm's one-line errors: each names the option, argument or command that is wrong
 * in the words of the command line (`--bogus`, `NUMBER`), on one line (yargs spreads a bad choice over three).
 */

/**
 * @param message what yargs says
 * @param argv the command line as given (after the program name)
 * @param usage the failing command's usage line (`knm hunt <number>`), for the names of missing positionals
 */
export function describeParseFailure(message: string, argv: readonly string[], usage: string): string {
  const unknown = /^Unknown arguments?: (.+)$/s.exec(message);
  // yargs names an unknown --dashed-option twice, also as camelCase: say each once
  if (unknown) return [...new Set(unknown[1].split(', ').map((name) => describeUnknown(name, argv)))].join('; ');

  const recommended = /^Did you mean (.+)\?$/.exec(message);
  if (recommended) return `unknown command ${JSON.stringify(firstWord(argv) ?? '')} (did you mean ${recommended[1]}?)`;

  const short = /^Not enough non-option arguments: got (\d+), need at least (\d+)$/.exec(message);
  if (short) {
    const required = [...usage.matchAll(/<([^>]+)>/g)].map((match) => match[1].replace(/\.\.$/, '').toUpperCase());
    const missing = required.slice(Number(short[1]));
    if (missing.length > 0) return `missing ${missing.join(' ')}`;
  }

  const requiredOptions = /^Missing required arguments?: (.+)$/.exec(message);
  if (requiredOptions) return `missing ${requiredOptions[1].split(', ').map((name) => `--${name}`).join(', ')}`;

  const choice = /Argument: (\S+), Given: (.+), Choices: (.+)$/s.exec(message);
  if (choice) return `--${choice[1]} must be one of ${choice[3].replace(/"/g, '').trim()}, not ${choice[2].trim()}`;

  const noValue = /^Not enough arguments following: (.+)$/.exec(message);
  if (noValue) return `--${noValue[1]} needs a value`;

  return message.replace(/\s*\n\s*/g, ' ').trim();
}

function describeUnknown(name: string, argv: readonly string[]): string {
  const kebab = name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
  const asOption = argv.find((token) => new RegExp(`^--?(no-)?(${escapeRegExp(name)}|${escapeRegExp(kebab)})(=|$)`).test(token));
  if (asOption !== undefined) return `unknown option ${asOption.replace(/=.*$/, '')}`;
  if (firstWord(argv) === name) return `unknown command ${JSON.stringify(name)} (knm --help lists the commands)`;
  return `unexpected argument ${JSON.stringify(name)}`;
}

/** The first word that is not an option: the command. */
function firstWord(argv: readonly string[]): string | undefined {
  return argv.find((token) => !token.startsWith('-'));
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
