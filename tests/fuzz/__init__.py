"""A fuzzer that lives in the project: mutated exports through every command, in subprocesses.

crmkit promises that any input ends either in a correct result or in one clean error line
(README, *Exit codes*). This package checks that promise on inputs nobody would write by hand.

How a campaign works
--------------------
1. **Seeds** (:func:`tests.fuzz.mutations.seed_table`): small valid exports made by ``crmkit.synth``
   (``generate_sales`` with 8 to 120 customers, ``generate_survey`` on them), platform exports
   (``crmkit.synth_platforms``) and members files (``crmkit.synth_customers.generate_customers``
   for a small sales seed, about 15 % of inputs), renewal files (subscriber rows or a cohort
   table, :mod:`tests.fuzz.contracts`, about 5 %), rendered as CSV in several encodings,
   delimiters and line ends, as XLSX (openpyxl), Parquet (pyarrow) and gzip.
2. **Mutations** (:mod:`tests.fuzz.mutations`): one named mutation per input, chosen by a
   :class:`random.Random` seeded from ``(campaign seed, input number)`` only, so input *i* of
   seed *s* is the same file on every machine and in every run, whatever the worker count.
   :data:`tests.fuzz.mutations.MUTATIONS` lists them, each with what it does.
3. **Runs** (:mod:`tests.fuzz.runner`): every input goes through every command that reads its
   kind (sales: ``segment``, ``clv``, ``retention``, ``ladder``, ``report``, ``preferences``,
   ``recommend -n 3 --evaluate --item category``; surveys: ``satisfaction``, ``ladder --survey``,
   ``report --survey``; members files: ``profile sales.csv --attributes FILE`` and ``care
   sales.csv --attributes FILE``, with the valid sales export beside them; renewal files: ``clv FILE
   --model sbg`` with options drawn per input, ``--interval 0.9``, ``--view customers``, ``--report``;
   a sales export's ``clv`` sometimes with ``--interval 0.9``), each as ``python -m crmkit ...``
   in its own subprocess and its own temporary folder, with a 60 s timeout and an address-space
   cap (``RLIMIT_AS``, 4 GiB by default). One run is one *case*.
4. **The verdict** of a case: either exit 0 with the invariants holding (see
   :func:`tests.fuzz.runner.check_invariants`: for ``segment`` the sum of ``monetary`` is the net
   revenue of the rows the library reads from the same file up to the as-of date the run
   printed, and every customer id comes out exactly as the library read it and as it appears in
   the input; for ``clv --model sbg`` survival in [0, 1], non-increasing and inside its interval,
   retention in [0, 1]), or a *clean error*: exit 2-7 and stderr exactly one line starting
   ``crmkit: error:`` (a clean error on a still-valid input, such as an unmutated members
   file, fails as ``refused_valid``). Anything else fails: exit 1, any other code, a signal, a traceback, more
   than one line, a timeout (a hang) or the memory cap (``memory``).

The memory budget
-----------------
4 GiB of *address space*, not of resident memory: DuckDB, pyarrow and the BLAS threads reserve
virtual memory well beyond what they touch (a normal small run maps about 1.5-2 GiB), so the cap
leaves headroom for them while still catching the runaway allocations found so far (a sheet
declared ``XFD1048576``, a 24,000-month cohort table). ``--memory-gib`` changes it.

Running it
----------
``python -m tests.fuzz --cases 5000 --seed 1 --out /tmp/fuzz`` (from the repository root) runs a
campaign and writes ``/tmp/fuzz/summary.json`` and ``summary.txt``: counts by outcome and by
mutation, and for each failing case a folder ``failures/<case>/`` with the input file, the command
(``command.sh``, runnable as it is) and its stdout and stderr; ``python -m tests.fuzz.minimize
FOLDER`` shrinks one to the smallest input that fails the same way (``minimal.*``,
``minimal.sh``). ``tests/fuzz/test_fuzz_slice.py`` runs a bounded seeded slice (200 runs) in the
default test suite.
"""
