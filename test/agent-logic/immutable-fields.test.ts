/** Which refusals mean "an immutable field changed": decided on the Status object's structured causes. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KubeApiError, immutableFields } from '../../src/kube/errors';

const invalid = (causes: Array<{ reason?: string; message?: string; field?: string }>, message = 'X is invalid') =>
  new KubeApiError(422, 'Invalid', message, { kind: 'Job', causes });

describe('immutableFields', () => {
  test('a Job template and a Deployment selector change (FieldValueInvalid, "field is immutable")', () => {
    assert.deepEqual(
      immutableFields(
        invalid([
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: {"Spec":{}}: field is immutable',
            field: 'spec.template',
          },
        ]),
      ),
      ['spec.template'],
    );
    assert.deepEqual(
      immutableFields(
        invalid([
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: v1.LabelSelector{}: field is immutable',
            field: 'spec.selector',
          },
          { reason: 'FieldValueInvalid', message: 'Invalid value: "x": field is immutable', field: 'spec.selector' },
        ]),
      ),
      ['spec.selector'],
    );
  });

  test('an immutable Secret or ConfigMap (FieldValueForbidden while `immutable` is set)', () => {
    assert.deepEqual(
      immutableFields(
        invalid([
          {
            reason: 'FieldValueForbidden',
            message: 'Forbidden: field is immutable when `immutable` is set',
            field: 'data',
          },
        ]),
      ),
      ['data'],
    );
  });

  test('anything else is not: other causes, no field, no details, other statuses, however the message reads', () => {
    assert.deepEqual(
      immutableFields(
        invalid([
          { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.template.spec.restartPolicy' },
        ]),
      ),
      [],
    );
    assert.deepEqual(
      immutableFields(
        invalid([
          { reason: 'FieldValueInvalid', message: 'Invalid value: "a": must be lowercase', field: 'metadata.name' },
        ]),
      ),
      [],
    );
    assert.deepEqual(
      immutableFields(invalid([{ reason: 'FieldValueInvalid', message: 'Invalid value: x: field is immutable' }])),
      [],
      'no field named',
    );
    assert.deepEqual(
      immutableFields(new KubeApiError(422, 'Invalid', 'spec.template: Invalid value: field is immutable')),
      [],
      'the message text alone decides nothing',
    );
    assert.deepEqual(
      immutableFields(
        new KubeApiError(409, 'Conflict', 'field is immutable', {
          causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: x: field is immutable', field: 'a' }],
        }),
      ),
      [],
    );
    assert.deepEqual(immutableFields(new Error('field is immutable')), []);
  });
});
