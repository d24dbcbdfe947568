"""Retirement plans: accumulate until retirement, then withdraw under one of four strategies.

Conventions: monthly steps; ages in years; amounts in today's money (real)
unless stated; spending decisions are made once a year at the start of each
retirement year and taken in twelve monthly instalments. Pensions (e.g.
Social Security) are real annual amounts from ``pension_start_age``; the
portfolio pays spending minus pension.

Strategies
----------
constant_real
    The "4 % rule": a fixed real annual spending (default: ``withdrawal_rate``
    of the portfolio at retirement), raised with inflation every year.
constant_percentage
    ``withdrawal_rate`` of the current portfolio each year.
guardrails
    Guyton-Klinger: start at ``annual_spending`` (initial rate WR0); each year
    raise with inflation, except after a losing year (the portfolio's own
    nominal return over the past twelve months, net of fees, below zero:
    withdrawals neither add to nor subtract from it) when the current rate is
    above WR0; cut 10 % when the current rate exceeds WR0 by 20 %
    (capital preservation, not in the last 15 years); raise 10 % when it falls
    20 % below WR0 (prosperity).
vpw
    Variable percentage withdrawal: the annuity payment rate for the years
    left to ``end_age`` at an assumed real return ``vpw_real_return``,
    ``r / (1 - (1 + r)^-n)``, applied to the current portfolio.

Success: the portfolio is never depleted while spending is due (depleted:
real wealth below one dollar of today's money, as in :mod:`engine.montecarlo`;
VPW, which spends down by design, may run out in its final year) and real
spending never falls below ``spending_floor``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from engine.errors import InvalidInputError
from engine.montecarlo import DEPLETED_BELOW, PERCENTILES, ReturnModel, chunk_generators, month_stepper
from engine.validation import number as _number
from engine.validation import whole as _count

STRATEGIES = ("constant_real", "constant_percentage", "guardrails", "vpw")
SOLVABLE = ("constant_real", "guardrails")  # the strategies that spend a chosen amount
MAX_RETIREMENT_PATHS = 100_000


@dataclass(frozen=True)
class RetirementPlan:
    current_age: int
    retirement_age: int
    end_age: int
    savings: float
    monthly_contribution: float = 0.0
    annual_spending: float | None = None
    annual_pension: float = 0.0
    pension_start_age: int | None = None
    inflation: float = 0.02
    annual_fee: float = 0.0
    strategy: str = "constant_real"
    withdrawal_rate: float = 0.04
    vpw_real_return: float = 0.04
    spending_floor: float = 0.0

    def validate(self) -> RetirementPlan:
        _count(self.current_age, "The current age", 18, 100)
        _count(self.retirement_age, "The retirement age", 18, 100)
        _count(self.end_age, "The plan end age", 19, 110)
        if not self.current_age <= self.retirement_age < self.end_age:
            raise InvalidInputError("Ages must satisfy current <= retirement < plan end.")
        _number(self.savings, "Savings", 0.0, 1e12)
        _number(self.monthly_contribution, "The monthly contribution", 0.0, 1e9)
        if self.annual_spending is not None:
            _number(self.annual_spending, "Annual spending", 0.0, 1e10)
        _number(self.annual_pension, "The annual pension", 0.0, 1e9)
        if self.pension_start_age is not None:
            _count(self.pension_start_age, "The pension start age", 18, 110)
        _number(self.inflation, "Inflation", -0.2, 1.0)
        _number(self.annual_fee, "The annual fee", 0.0, 0.2)
        _number(self.withdrawal_rate, "The withdrawal rate", 0.0, 1.0)
        _number(self.vpw_real_return, "The VPW real return", -0.05, 0.2)
        _number(self.spending_floor, "The spending floor", 0.0, 1e10)
        if self.strategy not in STRATEGIES:
            raise InvalidInputError(
                f"Unknown strategy {self.strategy!r}; choose one of {', '.join(STRATEGIES)}."
            )
        if self.strategy == "guardrails" and not self.annual_spending:
            raise InvalidInputError("Guardrails start from an annual spending amount; enter one.")
        if self.savings <= 0 and self.monthly_contribution <= 0:
            raise InvalidInputError("Start with some savings or a monthly contribution.")
        return self

    @property
    def months(self) -> int:
        return (self.end_age - self.current_age) * 12

    @property
    def retirement_month(self) -> int:
        return (self.retirement_age - self.current_age) * 12


@dataclass(frozen=True)
class RetirementResult:
    strategy: str
    paths: int
    seed: int
    success_rate: float
    depletion_rate: float
    ages: np.ndarray  # (Y,) age at the start of each plan year
    wealth_percentiles: dict[int, np.ndarray]  # real wealth at each age, (Y,)
    spending_percentiles: dict[int, np.ndarray]  # real annual spending (portfolio + pension), (Y,)
    median_ending_wealth: float
    median_depletion_age: float | None
    model: dict = field(default_factory=dict)  # ReturnModel.describe(): the model and the history it used

    def as_dict(self) -> dict:
        return {
            "strategy": self.strategy,
            "paths": self.paths,
            "seed": self.seed,
            "success_rate": self.success_rate,
            "depletion_rate": self.depletion_rate,
            "ages": self.ages.tolist(),
            "wealth_percentiles": {str(k): v.tolist() for k, v in self.wealth_percentiles.items()},
            "spending_percentiles": {str(k): v.tolist() for k, v in self.spending_percentiles.items()},
            "median_ending_wealth": self.median_ending_wealth,
            "median_depletion_age": self.median_depletion_age,
            "model": self.model,
        }


@dataclass(frozen=True)
class SpendingSolution:
    strategy: str
    target_success: float
    annual_spending: float  # today's money
    achieved_success: float


class _Scenario:
    """The plan's simulated monthly gross returns, kept so every trial sees the same paths."""

    def __init__(self, model: ReturnModel, plan: RetirementPlan, paths: int, seed: int):
        self.plan = plan
        self.gross = np.empty((plan.months, paths))
        done = 0
        for rng, n in chunk_generators(seed, paths):
            step = month_stepper(model, n, rng)
            for t in range(plan.months):
                self.gross[t, done : done + n] = step(t)
            done += n
        self.gross *= (1.0 - plan.annual_fee) ** (1.0 / 12)

    def run(self, plan: RetirementPlan):
        """Real wealth (Y+1, P) at each plan-year start, real spending (Y, P), success (P,), depleted month."""
        gross = self.gross
        months, paths = gross.shape
        years = plan.months // 12
        monthly_inflation = (1.0 + plan.inflation) ** (1.0 / 12)
        wealth = np.full(paths, float(plan.savings))
        depleted_at = np.full(paths, -1)
        gone = np.zeros(paths, dtype=bool)
        floor_ok = np.ones(paths, dtype=bool)
        wealth_real = np.empty((years + 1, paths))
        spending_real = np.zeros((years, paths))
        withdrawal = np.zeros(paths)  # nominal monthly portfolio withdrawal this year
        previous_annual = np.zeros(paths)  # nominal total spending, guardrails state
        initial_rate = np.zeros(paths)
        last_return = np.zeros(paths)
        price = 1.0
        pension_age = plan.pension_start_age if plan.pension_start_age is not None else plan.retirement_age
        for t in range(months):
            if t % 12 == 0:
                year = t // 12
                age = plan.current_age + year
                wealth_real[year] = wealth / price
                if year > 0 and plan.strategy == "guardrails":  # only its rules read last year's return
                    last_return = np.prod(gross[t - 12 : t], axis=0) - 1.0
                pension = plan.annual_pension if age >= pension_age else 0.0
                if age >= plan.retirement_age:
                    annual = _annual_withdrawal(
                        plan,
                        age,
                        wealth,
                        price,
                        pension,
                        previous_annual,
                        initial_rate,
                        last_return,
                        first=age == plan.retirement_age,
                    )
                    annual = np.where(gone, 0.0, annual)
                    withdrawal = annual / 12
                    spending = annual / price + pension
                    spending_real[year] = spending
                    floor_ok &= gone | (spending >= plan.spending_floor * (1 - 1e-12))
                else:
                    withdrawal = np.zeros(paths)
                    spending_real[year] = 0.0
                paying = withdrawal > 0  # the withdrawal is set for the year
            wealth *= gross[t]
            price *= monthly_inflation
            age = plan.current_age + t // 12
            if age < plan.retirement_age:
                wealth += plan.monthly_contribution * price
            else:
                wealth -= withdrawal
                newly = (wealth < DEPLETED_BELOW * price) & ~gone & paying
                if plan.strategy == "vpw" and t >= months - 12:
                    newly[:] = False  # VPW spends the portfolio down by design in its final year
                if newly.any():  # most months no path runs out
                    depleted_at[newly] = t + 1
                    gone |= newly
                np.maximum(wealth, 0.0, out=wealth)
        wealth_real[years] = wealth / price
        # spending after depletion is the pension alone, which may break the floor
        success = ~gone & floor_ok
        return wealth_real, spending_real, success, depleted_at


def _annual_withdrawal(plan, age, wealth, price, pension, previous, initial_rate, last_return, first):
    """Nominal portfolio withdrawal for the coming year, per path."""
    if plan.strategy == "constant_real":
        spending = plan.annual_spending
        if spending is None:  # the 4 % rule: a rate of the portfolio at retirement, then held in real terms
            if first:
                initial_rate[:] = plan.withdrawal_rate * wealth / price
            spending_real = initial_rate
        else:
            spending_real = np.full(wealth.shape, float(spending))
        return np.maximum(spending_real - pension, 0.0) * price
    if plan.strategy == "constant_percentage":
        return plan.withdrawal_rate * wealth
    if plan.strategy == "vpw":
        n = plan.end_age - age
        r = plan.vpw_real_return
        rate = 1.0 / n if abs(r) < 1e-12 else r / (1.0 - (1.0 + r) ** (-n))
        return min(rate, 1.0) * wealth
    # guardrails: the rules act on total spending; the portfolio pays what the pension does not
    pension_nominal = pension * price
    if first:
        previous[:] = float(plan.annual_spending) * price
        portfolio = np.maximum(previous - pension_nominal, 0.0)
        initial_rate[:] = np.where(wealth > 0, portfolio / np.where(wealth > 0, wealth, 1.0), 0.0)
        return portfolio
    raised = previous * (1.0 + plan.inflation)
    safe = np.where(wealth > 0, wealth, 1.0)
    current_rate = np.where(wealth > 0, np.maximum(raised - pension_nominal, 0.0) / safe, np.inf)
    total = np.where((last_return < 0) & (current_rate > initial_rate), previous, raised)
    rate = np.where(wealth > 0, np.maximum(total - pension_nominal, 0.0) / safe, np.inf)
    cut = (rate > initial_rate * 1.2) & (plan.end_age - age > 15)
    boost = rate < initial_rate * 0.8
    previous[:] = np.where(cut, total * 0.9, np.where(boost, total * 1.1, total))
    return np.maximum(previous - pension_nominal, 0.0)


def _summarise(plan: RetirementPlan, paths: int, seed: int, outcome, model: dict) -> RetirementResult:
    wealth_real, spending_real, success, depleted_at = outcome
    years = plan.months // 12
    ages = plan.current_age + np.arange(years + 1)
    depleted = depleted_at >= 0
    depletion_age = (
        float(np.median(plan.current_age + depleted_at[depleted] / 12)) if depleted.any() else None
    )
    return RetirementResult(
        strategy=plan.strategy,
        paths=paths,
        seed=seed,
        success_rate=float(success.mean()),
        depletion_rate=float(depleted.mean()),
        ages=ages,
        wealth_percentiles={p: np.percentile(wealth_real, p, axis=1) for p in PERCENTILES},
        spending_percentiles={p: np.percentile(spending_real, p, axis=1) for p in PERCENTILES},
        median_ending_wealth=float(np.median(wealth_real[-1])),
        median_depletion_age=depletion_age,
        model=model,
    )


def simulate_retirement(
    model: ReturnModel, plan: RetirementPlan, paths: int = 10_000, seed: int = 0
) -> RetirementResult:
    """Success rate and real wealth and spending percentiles of ``plan``."""
    plan = plan.validate()
    paths = _count(paths, "The number of paths", 1, MAX_RETIREMENT_PATHS)
    return _simulated(_Scenario(model, plan, paths, seed), plan, paths, seed, model)


def _simulated(scenario: _Scenario, plan: RetirementPlan, paths: int, seed: int, model: ReturnModel):
    return _summarise(plan, paths, int(seed), scenario.run(plan), model.describe())


def simulate_and_solve(
    model: ReturnModel, plan: RetirementPlan, target_success: float, paths: int = 10_000, seed: int = 0
) -> tuple[RetirementResult, SpendingSolution]:
    """:func:`simulate_retirement` and :func:`solve_spending` of the same plan, paths drawn once for both
    (the same figures as the two calls)."""
    _solvable(plan)
    plan = plan.validate()
    paths = _count(paths, "The number of paths", 100, MAX_RETIREMENT_PATHS)
    scenario = _Scenario(model, plan, paths, seed)
    return _simulated(scenario, plan, paths, seed, model), _solve(scenario, plan, target_success)


def _solvable(plan: RetirementPlan) -> None:
    if plan.strategy not in SOLVABLE:
        raise InvalidInputError(
            "Under constant-percentage and VPW withdrawals spending follows the portfolio; "
            "solve for spending with the constant real amount or guardrails strategy."
        )


def solve_spending(
    model: ReturnModel,
    plan: RetirementPlan,
    target_success: float,
    paths: int = 10_000,
    seed: int = 0,
    tolerance: float = 1.0,
) -> SpendingSolution:
    """Highest real annual spending whose success rate is at least ``target_success``.

    Bisection on the spending with the same simulated paths for every trial
    (common random numbers), to ``tolerance`` dollars a year. Applies to the
    strategies that spend a chosen amount (constant_real, guardrails).
    """
    _solvable(plan)
    plan = replace(plan, annual_spending=plan.annual_spending or 1.0).validate()
    paths = _count(paths, "The number of paths", 100, MAX_RETIREMENT_PATHS)
    return _solve(_Scenario(model, plan, paths, seed), plan, target_success, tolerance)


def _solve(scenario: _Scenario, plan: RetirementPlan, target_success, tolerance: float = 1.0):
    target = _number(target_success, "The target success rate", 0.01, 0.999)
    plan = replace(plan, annual_spending=plan.annual_spending or 1.0).validate()
    if plan.strategy == "constant_real" and plan.spending_floor == 0:
        success = _Trials(scenario, plan).success
    else:

        def success(spending: float) -> float:
            return float(scenario.run(replace(plan, annual_spending=spending))[2].mean())

    low, high = 0.0, max(plan.savings, 1.0) * 0.05 + plan.annual_pension + plan.monthly_contribution * 12
    while success(high) >= target and high < 1e10:
        low, high = high, high * 2
    if success(low) < target:
        return SpendingSolution(plan.strategy, target, 0.0, success(0.0))
    while high - low > tolerance:
        middle = (low + high) / 2
        if success(middle) >= target:
            low = middle
        else:
            high = middle
    return SpendingSolution(plan.strategy, target, low, success(low))


class _Trials:
    """The solve's trials under a constant real spending and no floor: each runs only the paths no earlier
    trial decided, and only the steps that decide them.

    There a path that lasts at some spending lasts at every lower one, and one that runs out runs out
    at every higher one: a higher spending withdraws no less each month (``max(s - pension, 0)`` times
    the price level), so the path's wealth after each month is no greater, in floating point too (each
    step - subtraction, maximum, product by a non-negative number - is monotone, and so is rounding); a
    path runs out when its wealth falls below the threshold while it pays, and a higher spending pays
    whenever a lower one does. Success is then "not run out" (no floor to break). So each path keeps
    the highest spending it was seen to last at and the lowest it was seen to run out at, and a trial
    between the two runs it. A trial repeats :meth:`_Scenario.run`'s arithmetic for a path while it
    lasts (the same operations on the same numbers: the same outcome as in a run of all paths), less
    what cannot change the outcome: the months before retirement are the same at every spending (run
    once); what a path's wealth does after it ran out; the bookkeeping of wealth and spending.
    """

    def __init__(self, scenario: _Scenario, plan: RetirementPlan):
        self.gross, self.plan = scenario.gross, plan
        paths = self.gross.shape[1]
        self.lasts = np.full(paths, -np.inf)  # the highest spending seen to last
        self.fails = np.full(paths, np.inf)  # the lowest spending seen to run out
        self.monthly_inflation = (1.0 + plan.inflation) ** (1.0 / 12)
        self.start = plan.retirement_month
        wealth, price = np.full(paths, float(plan.savings)), 1.0
        for t in range(self.start):  # saving, as in _Scenario.run
            wealth *= self.gross[t]
            price *= self.monthly_inflation
            wealth += plan.monthly_contribution * price
        self.retired = wealth, price  # wealth and price level at retirement

    def success(self, spending: float) -> float:
        undecided = np.flatnonzero((self.lasts < spending) & (spending < self.fails))
        if undecided.size:
            lasted = self._lasting(spending, undecided)
            self.lasts[undecided[lasted]] = spending
            self.fails[undecided[~lasted]] = spending
        return float((spending <= self.lasts).mean())

    def _lasting(self, spending: float, columns: np.ndarray) -> np.ndarray:
        """Whether each path of ``columns`` lasts at ``spending`` (never below the threshold while paying).

        The same operations as :meth:`_Scenario.run` on the same numbers while a path lasts, so the same
        outcome: while it pays, a lasting path's wealth stays above the threshold, which is positive, so
        taking no less than nothing (``maximum(wealth, 0)``) changes nothing then; a few paths go number
        by number (Python's floats are the same IEEE doubles).
        """
        plan = self.plan
        pension_age = plan.pension_start_age if plan.pension_start_age is not None else plan.retirement_age
        withdrawals, thresholds = [], []  # each month of retirement: what is taken, the threshold (or -inf)
        price = self.retired[1]
        for t in range(self.start, plan.months):
            if t % 12 == 0:
                pension = plan.annual_pension if plan.current_age + t // 12 >= pension_age else 0.0
                withdrawal = max(spending - pension, 0.0) * price / 12
            price *= self.monthly_inflation
            withdrawals.append(withdrawal)
            thresholds.append(DEPLETED_BELOW * price if withdrawal > 0 else -math.inf)
        wealth = self.retired[0][columns]
        gross = self.gross[self.start :, columns]
        if len(columns) <= FEW_PATHS:
            return np.array(
                [_lasts(w, g, withdrawals, thresholds) for w, g in zip(wealth.tolist(), gross.T, strict=True)]
            )
        gone = np.zeros(len(columns), dtype=bool)
        year = np.empty((12, len(columns)))  # wealth after each month of a year (checked a year at a time)
        for i, taken in enumerate(withdrawals):
            month = year[i % 12]
            np.multiply(wealth, gross[i], out=month)
            if taken > 0:
                month -= taken
            else:  # as in _Scenario.run: nothing taken, and a wealth that went below zero is zero
                np.maximum(month, 0.0, out=month)
            wealth = month
            if i % 12 == 11 or i == len(withdrawals) - 1:
                done = i % 12 + 1
                gone |= (year[:done] < np.array(thresholds[i + 1 - done : i + 1])[:, None]).any(axis=0)
        return ~gone


FEW_PATHS = 8  # at most this many, a trial goes path by path in Python (less overhead than numpy's)


def _lasts(wealth: float, gross: np.ndarray, withdrawals: list, thresholds: list) -> bool:
    """One path of :meth:`_Trials._lasting`."""
    for g, taken, threshold in zip(gross.tolist(), withdrawals, thresholds, strict=True):
        wealth *= g
        if taken > 0:
            wealth -= taken
            if wealth < threshold:
                return False
        elif wealth < 0.0:
            wealth = 0.0
    return True
