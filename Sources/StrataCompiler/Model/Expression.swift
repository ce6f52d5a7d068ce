import StrataSyntax

/// The expression type of the language; named here because Foundation has its own `Expression`.
public typealias Expression = StrataSyntax.Expression
