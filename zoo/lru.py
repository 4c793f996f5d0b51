"""The Linear Recurrent Unit (Orvieto et al. 2023, "Resurrecting Recurrent Neural Networks for Long Sequences")."""
from __future__ import annotations

import math

import keras
from keras import ops

from zoo.scan import linear_scan
from zoo.scan_rnn import ScanCell


@keras.saving.register_keras_serializable(package="zoo")
class LRUCell(ScanCell):
    """LRU: a complex diagonal linear recurrence, read out through its real part.

    x_k = Lambda x_{k-1} + gamma * (B u_k)        diagonal complex recurrence, B in C^{N x d}
    y_k = Re(C x_k) + D u_k                       C in C^{H x N}; D diagonal when d == H
    lambda_j = exp(-exp(nu_log_j) + i exp(theta_log_j))   exponential parameterisation: |lambda| < 1 always
    gamma_j = sqrt(1 - |lambda_j|^2), trained as gamma_log   normalisation: unit-variance states for white input
    Ring initialisation: |lambda| uniform on the ring r_min <= |lambda| <= r_max (uniform in area),
    arg(lambda) uniform in [0, max_phase]; B, C complex Gaussians with variance 1/(2d) and 1/N per
    part; D standard normal. This is the paper's Appendix A pseudocode; `units` is both N (the
    state size, complex) and H (the output size). Defaults r_min=0.9, r_max=0.999 are the values the
    paper uses on most LRA tasks. State: [Re x, Im x]. When d != H (the first layer of a plain
    stack, or after a bidirectional layer) D is a (d, H) matrix. Parameters: 3N + 2dN + 2NH + (H or dH).
    """

    readout_reads_input = True  # y = Re(C x) + D u

    def __init__(self, units: int, r_min: float = 0.9, r_max: float = 0.999, max_phase: float = 2 * math.pi,
                 **kwargs):
        kwargs.pop("kernel_initializer", None)  # B and C have the paper's own initialisation
        super().__init__(units, **kwargs)
        for key, value in (("r_min", r_min), ("r_max", r_max), ("max_phase", max_phase)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"LRU's {key} must be a number, got {value!r}")
        if not 0.0 <= r_min < r_max < 1.0:
            raise ValueError(f"LRU needs 0 <= r_min < r_max < 1, got r_min={r_min!r}, r_max={r_max!r}")
        if not max_phase > 0:
            raise ValueError(f"max_phase must be > 0, got {max_phase!r}")
        self.r_min, self.r_max, self.max_phase = float(r_min), float(r_max), float(max_phase)
        self.state_size = [units, units]  # real and imaginary parts

    def build(self, input_shape):
        d, n = input_shape[-1], self.units
        r_min, r_max, max_phase = self.r_min, self.r_max, self.max_phase

        def nu_init(shape, dtype=None):
            u = keras.random.uniform(shape, dtype=dtype)
            return ops.log(-0.5 * ops.log(u * (r_max**2 - r_min**2) + r_min**2))

        def theta_init(shape, dtype=None):
            return ops.log(max_phase * keras.random.uniform(shape, minval=1e-6, dtype=dtype))

        self.nu_log = self.add_weight(shape=(n,), name="nu_log", initializer=nu_init)
        self.theta_log = self.add_weight(shape=(n,), name="theta_log", initializer=theta_init)
        nu_log = ops.convert_to_tensor(self.nu_log)

        def gamma_init(shape, dtype=None):  # log sqrt(1 - |lambda|^2), |lambda|^2 = exp(-2 exp(nu_log))
            return 0.5 * ops.log(1.0 - ops.exp(-2.0 * ops.exp(ops.cast(nu_log, dtype))))

        self.gamma_log = self.add_weight(shape=(n,), name="gamma_log", initializer=gamma_init)
        b_init = keras.initializers.RandomNormal(stddev=1.0 / math.sqrt(2 * d))
        c_init = keras.initializers.RandomNormal(stddev=1.0 / math.sqrt(n))
        self.B_re = self.add_weight(shape=(d, n), name="B_re", initializer=b_init)
        self.B_im = self.add_weight(shape=(d, n), name="B_im", initializer=b_init)
        self.C_re = self.add_weight(shape=(n, n), name="C_re", initializer=c_init)
        self.C_im = self.add_weight(shape=(n, n), name="C_im", initializer=c_init)
        self.D = self.add_weight(shape=(n,) if d == n else (d, n), name="D", initializer="random_normal")

    def eigenvalues(self):
        """(Re lambda, Im lambda), each (units,)."""
        modulus = ops.exp(-ops.exp(self.nu_log))
        phase = ops.exp(self.theta_log)
        return modulus * ops.cos(phase), modulus * ops.sin(phase)

    def _drive(self, u):
        """gamma * (B u): the input term of the recurrence, as (re, im)."""
        gamma = ops.exp(self.gamma_log)
        return ops.matmul(u, self.B_re) * gamma, ops.matmul(u, self.B_im) * gamma

    def _readout(self, h_re, h_im, u):
        """y = Re(C x) + D u; with row vectors Re(x C^T) = x_re C_re - x_im C_im."""
        skip = u * self.D if len(self.D.shape) == 1 else ops.matmul(u, self.D)
        return ops.matmul(h_re, self.C_re) - ops.matmul(h_im, self.C_im) + skip

    def call(self, inputs, states, training=False):
        h_re, h_im = states  # (batch, units) each
        l_re, l_im = self.eigenvalues()
        b_re, b_im = self._drive(inputs)
        new_re = l_re * h_re - l_im * h_im + b_re
        new_im = l_re * h_im + l_im * h_re + b_im
        return self._readout(new_re, new_im, inputs), [new_re, new_im]

    def states(self, x, mask, initial, method):
        l_re, l_im = self.eigenvalues()
        b_re, b_im = self._drive(x)  # (time, batch, units)
        if mask is None:
            return linear_scan((l_re[None], l_im[None]), (b_re, b_im), initial, method=method)  # lambda constant
        keep = mask[..., None]  # a masked step multiplies the state by 1 + 0i and adds nothing
        a = (ops.where(keep, l_re, 1.0), ops.where(keep, l_im, 0.0))
        return linear_scan(a, (ops.where(keep, b_re, 0.0), ops.where(keep, b_im, 0.0)), initial, method=method)

    def readout(self, states, x):
        return self._readout(*states, x)

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("kernel_initializer")
        return {**config, "r_min": self.r_min, "r_max": self.r_max, "max_phase": self.max_phase}
