#!/usr/bin/env python3
"""Would another learned model generalise better? A measurement, not part of the detector.

Trains off-the-shelf scikit-learn text classifiers (TF-IDF over character 2-5-grams, word
1-2-grams, or both; logistic regression at C = 0.3, 3, 30) on the same data as
`npm run train:detector` (the seven corpus files of ../shared/corpora, self-instruct's
user-oriented set left out, each source weighted n^-0.5 inside its class, the classes equal),
and prints each one's recall at 2 / 5 / 10% false positives and its ROC AUC on the blind sets
of test/fixtures/injection/blind (attacks and look-alike benign texts the corpora never saw).
docs/detection.md compares the figures with the shipped layer's.

    apt-get install python3-sklearn
    /usr/bin/python3 scripts/detector/model-check.py [corporaDir]

Deterministic (liblinear/lbfgs on fixed data). Takes about 2 minutes on one core.
"""
import glob
import json
import os
import sys
from collections import Counter

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, '..', '..'))
CORPORA = sys.argv[1] if len(sys.argv) > 1 else os.path.normpath(os.path.join(REPO, '..', 'shared', 'corpora'))


def jsonl(rel):
    with open(os.path.join(CORPORA, rel), encoding='utf-8') as f:
        return [json.loads(line) for line in f if line.strip()]


attacks = sum((jsonl(f'injection/{n}.jsonl') for n in ('attacks', 'indirect', 'multilingual', 'persuasion')), [])
benign = sum((jsonl(f'benign/{n}.jsonl') for n in ('benign', 'documents', 'multilingual')), [])
benign = [b for b in benign if not ('self-instruct' in b.get('source', '') and 'user_oriented' in b.get('source', ''))]
texts = [a['text'] for a in attacks] + [b['text'] for b in benign]
y = np.array([1] * len(attacks) + [0] * len(benign))
repo_of = [r.get('source', '').split(':')[0] for r in attacks + benign]
per_source = Counter(zip(repo_of, y))
w = np.array([per_source[(s, label)] ** -0.5 for s, label in zip(repo_of, y)])
for label in (0, 1):
    w[y == label] /= w[y == label].sum()
w *= len(w) / 2

blind_text, blind_y = [], []
for path in sorted(glob.glob(os.path.join(REPO, 'test', 'fixtures', 'injection', 'blind', '*.json'))):
    with open(path, encoding='utf-8') as f:
        d = json.load(f)
    blind_text += [a['text'] for a in d['attacks']] + [b['text'] for b in d['benign']]
    blind_y += [1] * len(d['attacks']) + [0] * len(d['benign'])
blind_y = np.array(blind_y)


def report(name, scores):
    atk = scores[blind_y == 1]
    ben = np.sort(scores[blind_y == 0])
    cells = []
    for fpr in (0.02, 0.05, 0.10):
        threshold = ben[int(len(ben) * (1 - fpr))]
        cells.append(f'{100 * (atk > threshold).mean():.1f}%')
    print(f'| {name} | {" | ".join(cells)} | {roc_auc_score(blind_y, scores):.3f} |', flush=True)


def char_vec():
    return TfidfVectorizer(analyzer='char_wb', ngram_range=(2, 5), min_df=2, sublinear_tf=True, max_features=300000)


def word_vec():
    return TfidfVectorizer(analyzer='word', ngram_range=(1, 2), min_df=2, sublinear_tf=True)


print(f'{len(attacks)} attacks, {len(benign)} benign for training; {int(blind_y.sum())} attacks, {int((blind_y == 0).sum())} benign in the blind sets\n')
print('| model | recall @2% FPR | @5% | @10% | ROC AUC |')
print('| --- | --- | --- | --- | --- |')
for name, make in (('char 2-5', lambda: [char_vec()]), ('word 1-2', lambda: [word_vec()]), ('both', lambda: [char_vec(), word_vec()])):
    vecs = make()
    train = hstack([v.fit_transform(texts) for v in vecs]).tocsr()
    test = hstack([v.transform(blind_text) for v in vecs]).tocsr()
    for c in (0.3, 3, 30):
        model = LogisticRegression(C=c, max_iter=2000)
        model.fit(train, y, sample_weight=w)
        report(f'TF-IDF {name}, logistic regression C={c}', model.decision_function(test))
