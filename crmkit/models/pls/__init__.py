"""PLS path modeling (PLS-PM / PLS-SEM): composites, paths, quality criteria, ACSI-style indices.

The engine under ``crmkit satisfaction``. A model is plain data: ``constructs`` maps each
construct to its item columns, ``paths`` lists the inner-model arrows ``(from, to)`` and
``modes`` says which constructs are measured in Mode B (formative, regression weights);
the rest use Mode A (reflective, correlation weights). :class:`PLSPathModel` estimates it
with Lohmöller's iterative PLS algorithm on standardized data (Tenenhaus, Esposito Vinzi,
Chatelin & Lauro 2005, "PLS path modeling", Computational Statistics & Data Analysis 48,
159-205; Lohmöller 1989, "Latent Variable Path Modeling with Partial Least Squares"), and
:func:`construct_index` turns the outer weights into the 0-100 indices of the ACSI / ECSI
tradition (Fornell et al. 1996).

Every step of the algorithm is a function of the item correlation matrix alone (scores
are linear in the standardized items), so the estimation runs on the p x p correlation
matrix, not on the n x p data: a fit costs the same for 250 or 100,000 respondents once
the correlations are known, and the bootstrap runs all resamples at once as a stack of
correlation matrices.

Conventions (the choices a reader of the numbers must know):

* Items are standardized with the sample standard deviation (denominator n - 1), as in
  seminr and SmartPLS; outer weights are scaled so that every construct score has unit
  sample variance (same denominator).
* Signs: a composite is identified only up to sign. After convergence every construct is
  turned so that its *dominant indicator* (the item with the largest absolute loading)
  loads positively; the bootstrap turns each resample so that the same item (the one
  dominant in the full sample) loads positively. What follows for reverse-coded items: if
  a non-dominant item is reversed, only its own weight and loading change sign; if the
  dominant item is reversed, the construct turns around (its other items and every path
  into or out of it change sign). |paths| and R² never change.
* Single-item constructs have weight 1 and loading 1; their reliabilities are defined as
  alpha = rho_A = rho_C = AVE = 1, and their HTMT "monotrait" correlation as 1 (seminr's
  convention).

The package, by job (the public names are all importable from ``crmkit.models.pls``):

=======================  ==============================================================
``specification``        :class:`PLSSpecification`, :func:`check_specification`
``algorithm``            the design, Lohmöller's iteration, inner weighting, derived quantities
``estimator``            :class:`PLSPathModel` (fit, quality criteria), :func:`pls_path_model`
``bootstrap``            :class:`PLSBootstrap`: resampled correlations, percentile intervals
                         (paths, HTMT, total and specific indirect effects, indices)
``consistent``           PLSc (Dijkstra & Henseler 2015): rho_A, corrected paths and loadings
``predict``              :func:`pls_predict`, :class:`PLSPredict` (PLSpredict, Shmueli et al.)
``index``                :class:`ConstructIndex`, :func:`construct_index` (ACSI-style 0-100)
``groups``               :func:`permutation_mga`, :func:`micom`, :func:`group_comparison`
                         (Chin & Dibbern 2010; Henseler, Ringle & Sarstedt 2016)
=======================  ==============================================================
"""

from crmkit.models.pls.algorithm import SCHEMES
from crmkit.models.pls.bootstrap import PLSBootstrap
from crmkit.models.pls.estimator import PLSPathModel, pls_path_model
from crmkit.models.pls.groups import group_comparison, micom, permutation_mga
from crmkit.models.pls.index import ConstructIndex, construct_index
from crmkit.models.pls.predict import PLSPredict, pls_predict
from crmkit.models.pls.specification import MODES, PLSSpecification, check_specification

__all__ = [
    "MODES",
    "SCHEMES",
    "ConstructIndex",
    "PLSBootstrap",
    "PLSPathModel",
    "PLSPredict",
    "PLSSpecification",
    "check_specification",
    "construct_index",
    "group_comparison",
    "micom",
    "permutation_mga",
    "pls_path_model",
    "pls_predict",
]
