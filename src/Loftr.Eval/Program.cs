using Loftr.Eval;
using Spectre.Console;

return EvalCommand.Run(args, AnsiConsole.Console);
