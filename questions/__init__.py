"""The question bank (YAML data), shipped inside the package as starcoach.questions."""
