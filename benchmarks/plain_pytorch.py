"""The reference experiment in plain PyTorch, one teacher after another.

The yardstick `bench_demo.py` times `kdistill demo` against: the same data,
split, architectures, optimizers and epochs, written the usual way with
nn.Sequential, DataLoader and torch.optim.Adam.

    python benchmarks/plain_pytorch.py --seed 0 --json plain.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import time

started = time.perf_counter()

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from kdistill.data import load_reference  # noqa: E402

N_MEMBERS, TEACHER_EPOCHS, STUDENT_EPOCHS, BATCH = 12, 30, 50, 64
TEMPERATURE, ALPHA = 3.0, 0.7


def mlp(sizes: list[int], dropout: list[float]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (d_in, d_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(d_in, d_out))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
            if dropout[i] > 0:
                layers.append(nn.Dropout(dropout[i]))
    return nn.Sequential(*layers)


def fit(model: nn.Module, loader: DataLoader, epochs: int, loss_fn, weight_decay=0.0):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=weight_decay)
    model.train()
    for _ in range(epochs):
        for batch in loader:
            optimizer.zero_grad()
            loss_fn(model, *batch).backward()
            optimizer.step()
    return model.eval()


def accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    return (logits.argmax(dim=1) == y).float().mean().item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json")
    args = parser.parse_args()

    X, y = load_reference()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=42
    )
    scaler = StandardScaler().fit(X_train)
    X_train = torch.tensor(scaler.transform(X_train), dtype=torch.float32)
    X_test = torch.tensor(scaler.transform(X_test), dtype=torch.float32)
    y_train, y_test = torch.tensor(y_train), torch.tensor(y_test)
    torch.manual_seed(1000 * args.seed)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=BATCH, shuffle=True)

    def hard(model, xb, yb):
        return F.cross_entropy(model(xb), yb)

    clock = time.perf_counter()
    teachers = []
    for i in range(N_MEMBERS):
        torch.manual_seed(1000 * args.seed + i)
        teacher = mlp([20, 256, 128, 64, 2], [0.3, 0.3, 0.0])
        teachers.append(fit(teacher, loader, TEACHER_EPOCHS, hard))
    teacher_seconds = time.perf_counter() - clock

    clock = time.perf_counter()
    with torch.no_grad():
        ensemble_train = torch.stack([t(X_train) for t in teachers]).mean(dim=0)
        ensemble_test = torch.stack([t(X_test) for t in teachers]).mean(dim=0)
    targets = torch.softmax(ensemble_train / TEMPERATURE, dim=1)

    def soft(model, xb, yb, tb):
        logits = model(xb)
        log_q = F.log_softmax(logits / TEMPERATURE, dim=1)
        kl = F.kl_div(log_q, tb, reduction="batchmean") * TEMPERATURE**2
        return ALPHA * kl + (1 - ALPHA) * F.cross_entropy(logits, yb)

    torch.manual_seed(1000 * args.seed + 500)
    student = mlp([20, 64, 32, 2], [0.0, 0.0])
    baseline = mlp([20, 64, 32, 2], [0.0, 0.0])
    baseline.load_state_dict(student.state_dict())
    soft_loader = DataLoader(
        TensorDataset(X_train, y_train, targets), batch_size=BATCH, shuffle=True
    )
    fit(student, soft_loader, STUDENT_EPOCHS, soft, weight_decay=1e-4)
    fit(baseline, loader, STUDENT_EPOCHS, hard, weight_decay=1e-4)
    student_seconds = time.perf_counter() - clock

    with torch.no_grad():
        figures = {
            "accuracy": {
                "ensemble": accuracy(ensemble_test, y_test),
                "distilled": accuracy(student(X_test), y_test),
                "baseline": accuracy(baseline(X_test), y_test),
            },
            "seconds": {
                "teachers": teacher_seconds,
                "students": student_seconds,
                "total": time.perf_counter() - started,
            },
        }
    print(json.dumps(figures, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=1)


if __name__ == "__main__":
    main()
