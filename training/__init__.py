"""Training: dataset building, fitting, evaluation, MLflow logging and promotion."""
