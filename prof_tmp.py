import django
django.setup()
from collections import Counter
from similarity.models import DuplicateFlag
from questionbank.models import Question
print(Question.objects.filter(embedding_status='ready').count())
print(Counter(DuplicateFlag.objects.values_list('label','kind')))
print(Counter(DuplicateFlag.objects.filter(label='duplicate').values_list('question__bank__name', flat=True)))
for f in DuplicateFlag.objects.filter(label='duplicate', kind='semantic').order_by('?')[:8]:
    print(round(f.score,2), f.reasons, '\n   A:', f.question.stem[:150], f.question.options, '\n   B:', f.original.stem[:150], f.original.options)
